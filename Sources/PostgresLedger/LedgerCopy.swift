import Foundation
import Ledger

/// One side of a copy: an SQLite ledger file or a PostgreSQL ledger, already open.
public enum LedgerEndpoint: Sendable {
    case sqlite(EventStore)
    case postgres(PostgresEventStore)

    /// Where it is, for messages (a PostgreSQL URL without its password).
    public var name: String {
        switch self {
        case .sqlite(let store): return store.path
        case .postgres(let store): return store.url.description
        }
    }

    /// The last row's link (seq 0 and the zero hash for an empty ledger).
    public func head() async throws -> ChainLink {
        let last = try await lastSeq()
        guard last > 0 else { return ChainLink(seq: 0, hash: .zero) }
        guard let row = try await rows(after: last - 1, limit: 1).first else {
            return ChainLink(seq: 0, hash: .zero)
        }
        return ChainLink(seq: row.seq, hash: row.hash)
    }

    func lastSeq() async throws -> Int64 {
        switch self {
        case .sqlite(let store): return try store.lastSeq()
        case .postgres(let store): return try await store.lastSeq()
        }
    }

    /// Up to `limit` rows after `seq`, in order.
    func rows(after seq: Int64, limit: Int) async throws -> [RecordedEvent] {
        var rows: [RecordedEvent] = []
        switch self {
        case .sqlite(let store):
            try store.readAll(after: seq, through: seq + Int64(limit)) { rows.append($0) }
        case .postgres(let store):
            try await store.readAll(after: seq, through: seq + Int64(limit), pageSize: limit) { rows += $0 }
        }
        return rows
    }

    func ledgerKeys() async throws -> [LedgerKey] {
        switch self {
        case .sqlite(let store): return try store.ledgerKeys()
        case .postgres(let store): return try await store.ledgerKeys()
        }
    }

    func storeCopiedKeys(_ keys: [LedgerKey]) async throws {
        switch self {
        case .sqlite(let store): try store.storeCopiedKeys(keys)
        case .postgres(let store): try await store.storeCopiedKeys(keys)
        }
    }

    func appendCopied(_ rows: [RecordedEvent]) async throws {
        switch self {
        case .sqlite(let store): try store.appendCopied(rows)
        case .postgres(let store): try await store.appendCopied(rows)
        }
    }
}

/// What a copy did.
public struct LedgerCopyReport: Sendable, Equatable {
    /// Rows written to the target by this copy.
    public var eventsCopied: Int64
    /// Rows the target already held (an earlier, interrupted copy of the same source).
    public var eventsAlreadyPresent: Int64
    /// The target's head after the copy: the source's head.
    public var head: ChainLink
}

/// Why a copy was refused.
public enum LedgerCopyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The target holds events that are not the start of the source's chain.
    case targetDiverges(target: String, seq: Int64)

    public var description: String {
        switch self {
        case .targetDiverges(let target, let seq):
            return "\(target) already holds events, and its seq \(seq) is not the source's: copy into an empty "
                + "ledger (a new file, or a new database)"
        }
    }
}

/// Copies a whole ledger between backends, row for row: the same `seq`, times, payloads and both hash chains,
/// so the target's head equals the source's and `verify` agrees on both sides; and the ledger's keys (the
/// secret-digest key), so the copy checks the secret digests its events hold.
public enum LedgerCopy {
    /// Copies every row of `source` that `target` lacks, in transactions of `batchSize` rows.
    ///
    /// The target must be empty or hold the start of the source's chain (an interrupted copy, which is then
    /// completed); each written row must continue the target's chains, checked before it is stored.
    public static func copy(from source: LedgerEndpoint, to target: LedgerEndpoint, batchSize: Int = 500)
        async throws -> LedgerCopyReport
    {
        let targetHead = try await target.head()
        if targetHead.seq > 0 {
            let sourceRow = try await source.rows(after: targetHead.seq - 1, limit: 1).first
            guard sourceRow?.seq == targetHead.seq, sourceRow?.hash == targetHead.hash else {
                throw LedgerCopyError.targetDiverges(target: target.name, seq: targetHead.seq)
            }
        }
        // The secret-digest key goes first, so the copy checks the digests its events hold.
        try await target.storeCopiedKeys(try await source.ledgerKeys())
        var report = LedgerCopyReport(eventsCopied: 0, eventsAlreadyPresent: targetHead.seq, head: targetHead)
        var cursor = targetHead.seq
        while true {
            let batch = try await source.rows(after: cursor, limit: max(1, batchSize))
            guard let last = batch.last else { break }
            try await target.appendCopied(batch)
            report.eventsCopied += Int64(batch.count)
            report.head = ChainLink(seq: last.seq, hash: last.hash)
            cursor = last.seq
        }
        return report
    }
}
