import Foundation
import Ledger

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

    init(path: String) {
        self.path = path
    }

    init(store: EventStore) {
        path = store.path
        writable = store
    }

    /// The store, opened as `access` asks unless an open one serves (a writable store serves every access).
    func store(_ access: LedgerAccess) throws(EngineFailure) -> EventStore {
        lock.lock()
        defer { lock.unlock() }
        if let writable { return writable }
        if access == .readOnly, let readOnly { return readOnly }
        if access != .create, !FileManager.default.fileExists(atPath: path) { throw .noLedger(path: path) }
        do {
            if access == .readOnly {
                let store = try EventStore(path: path, options: .init(readOnly: true))
                readOnly = store
                return store
            }
            let store = try EventStore(
                path: path, options: .init(
                    projections: [
                        ProjectionRegistration(ExecutionSummaryProjection.self),
                        ProjectionRegistration(FlowCatalogProjection.self),
                    ]))
            writable = store
            return store
        } catch {
            throw .ledgerUnavailable(path: path, access: access, cause: error)
        }
    }
}
