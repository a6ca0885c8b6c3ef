import Foundation

extension EventStore {
    /// Appends rows read from another ledger as they are: same `seq`, time, payload and both hashes, in one
    /// transaction. Each row must continue this ledger's chains (`ChainContinuation`), so a copy into an empty
    /// ledger ends with the source's head; registered projections are updated as by `append`.
    public func appendCopied(_ rows: [RecordedEvent]) throws(LedgerError) {
        guard !rows.isEmpty else { return }
        if options.record != nil {
            try recordWrite(.copy(rows)) { (_) throws(LedgerError) in () }
            return
        }
        let projections = options.projections
        try withWriter { (connection) throws(LedgerError) in
            try connection.immediateTransaction { () throws(LedgerError) in
                try Self.insertCopied(rows, projections: projections, connection)
            }
        }
    }

    /// Inserts `rows` as they are inside an open write transaction, each checked to continue the file's chains,
    /// and folds them into `projections`.
    static func insertCopied(
        _ rows: [RecordedEvent], projections: [ProjectionRegistration], _ connection: Connection
    ) throws(LedgerError) {
        let tail = try Self.globalTail(connection)
        var continuation = ChainContinuation(tail: ChainLink(seq: tail.seq, hash: tail.hash)) { stream in
            let head = try Self.streamHead(stream, connection)
            return (head.version, head.streamHash)
        }
        let insert = try Self.eventInsertStatement(connection)
        for row in rows {
            do {
                try continuation.accept(row)
            } catch let error as LedgerError {
                throw error
            } catch {
                throw .invalidArgument("\(error)")
            }
            insert.reset()
            insert.bind(1, row.seq)
            insert.bind(2, row.stream)
            insert.bind(3, row.version)
            insert.bind(4, row.type)
            insert.bind(5, Int64(row.schemaVersion))
            insert.bind(6, row.recordedAt)
            insert.bind(7, row.payload)
            insert.bind(8, row.payloadSHA256)
            insert.bind(9, row.prevHash)
            insert.bind(10, row.hash)
            insert.bind(11, row.streamHash)
            try insert.step()
        }
        insert.reset()
        try Self.updateProjections(projections, with: rows, connection)
    }
}

/// One row of `ledger_keys` (the secret-digest key), carried by a copy so that the copy checks its own digests.
/// Its bytes are never printed.
public struct LedgerKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let name: String
    package let bytes: [UInt8]
    public let createdAt: String

    package init(name: String, bytes: [UInt8], createdAt: String) {
        self.name = name
        self.bytes = bytes
        self.createdAt = createdAt
    }

    public var description: String { "LedgerKey(\(name), \(bytes.count) bytes)" }
    public var debugDescription: String { description }
}

extension EventStore {
    /// The rows of `ledger_keys` (none for a ledger from before keys existed).
    public func ledgerKeys() throws -> [LedgerKey] {
        if let record = options.record { return try record.ledgerKeys() }
        return try withReader { connection in
            let hasTable = try connection.statement(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'ledger_keys'")
            try hasTable.step()
            let present = hasTable.int64(0) == 1
            hasTable.reset()
            guard present else { return [] }
            let query = try connection.statement("SELECT name, key, created_at FROM ledger_keys ORDER BY name")
            defer { query.reset() }
            var keys: [LedgerKey] = []
            while try query.step() {
                keys.append(LedgerKey(name: query.text(0), bytes: [UInt8](query.data(1)), createdAt: query.text(2)))
            }
            return keys
        }
    }

    /// Stores keys copied from another ledger; a key already here under the same name must be the same key.
    public func storeCopiedKeys(_ keys: [LedgerKey]) throws(LedgerError) {
        guard !keys.isEmpty else { return }
        if options.record != nil {
            try recordWrite(.copyKeys(keys)) { (_) throws(LedgerError) in () }
            return
        }
        try withWriter { (connection) throws(LedgerError) in
            try connection.immediateTransaction { () throws(LedgerError) in
                for key in keys {
                    let existing = try connection.statement("SELECT key FROM ledger_keys WHERE name = ?")
                    existing.bind(1, key.name)
                    if try existing.step() {
                        let same = [UInt8](existing.data(0)) == key.bytes
                        existing.reset()
                        guard same else {
                            throw .invalidArgument("the target already has another key named '\(key.name)'")
                        }
                        continue
                    }
                    existing.reset()
                    let insert = try connection.statement(
                        "INSERT INTO ledger_keys(name, key, created_at) VALUES (?, ?, ?)")
                    insert.bind(1, key.name)
                    insert.bind(2, key.bytes)
                    insert.bind(3, key.createdAt)
                    try insert.step()
                    insert.reset()
                }
            }
        }
    }
}
