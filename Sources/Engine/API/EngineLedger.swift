import Foundation
import Ledger
import PostgresLedger

/// How an operation opens the ledger.
public enum LedgerAccess: Sendable, Equatable {
    /// Create the ledger when there is none (starting an execution).
    case create
    /// Open an existing ledger for reading and writing; a missing one is `EngineFailure.noLedger`, never created
    /// (recover, resume, fork, decision replay).
    case existing
    /// Open an existing ledger without writing anything (`SQLITE_OPEN_READONLY`).
    case readOnly
}

/// The engine's ledger: one store given by a host that opened it (a server), or a path opened on first use, in
/// the way the first operation needs (a CLI command: `run` creates it; `recover` never does).
final class EngineLedger: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var writable: EventStore?
    private var readOnly: EventStore?

    /// Where the cache of a PostgreSQL ledger lives (nil: `PostgresLedgerStore.defaultCacheFolder`).
    let cacheFolder: String?

    init(path: String, cacheFolder: String? = nil) {
        self.path = path
        self.cacheFolder = cacheFolder
    }

    init(store: EventStore) {
        cacheFolder = nil
        path = store.path
        writable = store
    }

    /// The projections a writable store keeps up to date.
    static let projections = [
        ProjectionRegistration(ExecutionSummaryProjection.self),
        ProjectionRegistration(FlowCatalogProjection.self),
    ]

    /// The store, opened as `access` asks unless an open one serves (a writable store serves every access).
    func store(_ access: LedgerAccess) throws(EngineFailure) -> EventStore {
        lock.lock()
        defer { lock.unlock() }
        if let writable { return writable }
        if access == .readOnly, let readOnly { return readOnly }
        if PostgresURL.looksLikeURL(path) {
            return try openShared(access)
        }
        if access != .create, !FileManager.default.fileExists(atPath: path) { throw .noLedger(path: path) }
        do {
            if access == .readOnly {
                let store = try EventStore(path: path, options: .init(readOnly: true))
                readOnly = store
                return store
            }
            let store = try EventStore(path: path, options: .init(projections: Self.projections))
            writable = store
            return store
        } catch {
            throw .ledgerUnavailable(path: path, access: access, cause: error)
        }
    }

    /// Opens the PostgreSQL ledger at `path` (a URL), its cache in `cacheFolder`: a ledger that has no schema
    /// yet is created only for `.create`; otherwise it is `noLedger`.
    private func openShared(_ access: LedgerAccess) throws(EngineFailure) -> EventStore {
        let shown = (try? PostgresURL(path).description) ?? "the PostgreSQL ledger"
        do {
            let store = try PostgresLedgerStore.open(
                url: path, options: .init(readOnly: access == .readOnly, projections: Self.projections),
                create: access == .create, cacheFolder: cacheFolder)
            if access == .readOnly {
                readOnly = store
            } else {
                writable = store
            }
            return store
        } catch let error as PostgresLedgerError {
            if case .noLedger = error { throw .noLedger(path: shown) }
            throw .ledgerUnavailable(path: shown, access: access, cause: .ledgerOfRecord(error.description))
        } catch let error as LedgerError {
            throw .ledgerUnavailable(path: shown, access: access, cause: error)
        } catch {
            throw .ledgerUnavailable(path: shown, access: access, cause: .ledgerOfRecord("\(shown): \(error)"))
        }
    }
}
