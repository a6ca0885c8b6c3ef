import Foundation
import Ledger

/// Where a copy reads from: a ledger opened as a store (an SQLite file, or PostgreSQL behind its cache), or a
/// PostgreSQL ledger read straight from the database, without a local cache.
public enum LedgerSource: Sendable {
    case store(EventStore)
    case record(any LedgerOfRecord)

    /// Where it is, for messages (a PostgreSQL URL without its password).
    public var name: String {
        switch self {
        case .store(let store): return store.name
        case .record(let record): return record.description
        }
    }

    /// The last row's link (seq 0 and the zero hash for an empty ledger).
    func head() throws -> ChainLink {
        switch self {
        case .store(let store): return try store.head()
        case .record(let record): return try record.tail()
        }
    }

    /// Up to `limit` rows after `seq`, in order.
    func rows(after seq: Int64, limit: Int) throws -> [RecordedEvent] {
        switch self {
        case .store(let store): return try store.rows(after: seq, limit: limit)
        case .record(let record): return try record.events(after: seq, through: .max, limit: limit)
        }
    }

    func ledgerKeys() throws -> [LedgerKey] {
        switch self {
        case .store(let store): return try store.ledgerKeys()
        case .record(let record): return try record.ledgerKeys()
        }
    }
}

extension EventStore {
    /// The last row's link, once a ledger of record's cache has caught up with it.
    fileprivate func head() throws -> ChainLink {
        let last = try catchUp()
        guard last > 0, let row = try rows(after: last - 1, limit: 1).first else {
            return ChainLink(seq: 0, hash: .zero)
        }
        return ChainLink(seq: row.seq, hash: row.hash)
    }

    fileprivate func rows(after seq: Int64, limit: Int) throws -> [RecordedEvent] {
        var rows: [RecordedEvent] = []
        try readAll(after: seq, through: seq + Int64(limit)) { rows.append($0) }
        return rows
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
///
/// The target is written as every write of the engine is: through the store's writer (`appendCopied`,
/// `storeCopiedKeys`), which for a PostgreSQL ledger commits the rows to the database first (the record's copy
/// job, serialised with every other writer by the append lock) and then takes them into the local cache.
public enum LedgerCopy {
    /// Copies every row of `source` that `target` lacks, in transactions of `batchSize` rows.
    ///
    /// The target must be empty or hold the start of the source's chain (an interrupted copy, which is then
    /// completed); each written row must continue the target's chains, checked before it is stored. Blocks the
    /// calling thread until the last batch is committed.
    public static func copy(from source: LedgerSource, to target: EventStore, batchSize: Int = 500) throws
        -> LedgerCopyReport
    {
        let targetHead = try target.head()
        if targetHead.seq > 0 {
            let sourceRow = try source.rows(after: targetHead.seq - 1, limit: 1).first
            guard sourceRow?.seq == targetHead.seq, sourceRow?.hash == targetHead.hash else {
                throw LedgerCopyError.targetDiverges(target: target.name, seq: targetHead.seq)
            }
        }
        // The secret-digest key goes first, so the copy checks the digests its events hold.
        try target.storeCopiedKeys(try source.ledgerKeys())
        var report = LedgerCopyReport(eventsCopied: 0, eventsAlreadyPresent: targetHead.seq, head: targetHead)
        var cursor = targetHead.seq
        while true {
            let batch = try source.rows(after: cursor, limit: max(1, batchSize))
            guard let last = batch.last else { break }
            try target.appendCopied(batch)
            report.eventsCopied += Int64(batch.count)
            report.head = ChainLink(seq: last.seq, hash: last.hash)
            cursor = last.seq
        }
        return report
    }
}
