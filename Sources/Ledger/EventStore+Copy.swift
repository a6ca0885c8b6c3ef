import Foundation

extension EventStore {
    /// Appends rows read from another ledger as they are: same `seq`, time, payload and both hashes, in one
    /// transaction. Each row must continue this ledger's chains (`ChainContinuation`), so a copy into an empty
    /// ledger ends with the source's head; registered projections are updated as by `append`.
    public func appendCopied(_ rows: [RecordedEvent]) throws(LedgerError) {
        guard !rows.isEmpty else { return }
        let projections = options.projections
        try withWriter { (connection) throws(LedgerError) in
            try connection.immediateTransaction { () throws(LedgerError) in
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
    }
}
