import Foundation
import Primitives

/// What `importExport` did.
public struct ImportReport: Sendable, Equatable {
    public var executions: [String]
    public var eventsImported: Int64
    /// Events skipped because an earlier, interrupted import of the same export had stored them already.
    public var eventsAlreadyPresent: Int64
    /// The target's seq of the first and last event written (nil when none was).
    public var firstSeq: Int64?
    public var lastSeq: Int64?
}

extension EventStore {
    /// Loads an NDJSON export into this ledger.
    ///
    /// The export is verified first (a tampered or cut file is refused before anything is written). Then each
    /// event is appended with its original stream, version, type, schema, `recorded_at` and payload, so each
    /// execution's stream hashes come out equal to the source's (checked for every event); the global chain
    /// continues this ledger's own, with new `seq`, `prev_hash` and `hash`. The source's seq, hash and stream
    /// hash are kept in the `imports` table. Writes go in transactions of `batchSize` events; registered
    /// projections are updated in each.
    ///
    /// Refused: execution ids outside `ExecutionID`'s alphabet (they end up in file names and messages), a
    /// source ledger name longer than `PATH_MAX`, executions that start past version 1 (a `--since-seq` export),
    /// and executions already in this ledger, unless they are the stored prefix of the same execution from an
    /// import that was interrupted, which is then completed.
    @discardableResult
    public func importExport(at path: String, batchSize: Int = 500, importedAt: Date = Date()) throws
        -> ImportReport
    {
        try Self.checkNames(in: try ExportReader(path: path).header, path: path)
        let verification = try ExportVerifier.verify(path: path)
        if let problem = verification.firstProblem {
            throw ExportError.tampered(path: path, problem: problem)
        }
        let header = verification.header
        // Over a ledger of record, what other hosts wrote decides what already exists.
        if options.record != nil { try catchUp() }
        var resumable: [String: Int64] = [:]
        for execution in header.executions {
            if execution.fromVersion != 1 {
                throw ExportError.partialStream(path: path, execution: execution.id, fromVersion: execution.fromVersion)
            }
            let existing = try currentVersion(of: execution.id)
            if existing == 0 { continue }
            guard existing < execution.throughVersion, try importedRows(of: execution.id) == existing else {
                throw ExportError.executionExists(path: path, execution: execution.id, ledger: name)
            }
            resumable[execution.id] = existing
        }
        let reader = try ExportReader(path: path)
        let source = header.sourceLedger
        let now = Timestamp.rfc3339(importedAt)
        var report = ImportReport(
            executions: header.executions.map(\.id), eventsImported: 0, eventsAlreadyPresent: 0, firstSeq: nil,
            lastSeq: nil)
        var batch: [RecordedEvent] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            let written = try insertImported(batch, source: source, importedAt: now, exportPath: path)
            report.eventsImported += Int64(written.count)
            if report.firstSeq == nil { report.firstSeq = written.first?.seq }
            report.lastSeq = written.last?.seq ?? report.lastSeq
            batch.removeAll(keepingCapacity: true)
        }
        let listed = Set(header.executions.map(\.id))
        while let line = reader.next() {
            guard case .event(let exported) = line, listed.contains(exported.event.stream) else {
                // Verified a moment ago: the file changed while it was being imported.
                throw ExportError.malformedLine(path: path, line: reader.lineNumber, detail: "changed during import")
            }
            let event = exported.event
            if let stored = resumable[event.stream], event.version <= stored {
                guard try storedStreamHash(event.stream, version: event.version) == event.streamHash else {
                    throw ExportError.executionExists(path: path, execution: event.stream, ledger: name)
                }
                report.eventsAlreadyPresent += 1
                continue
            }
            batch.append(event)
            if batch.count >= max(1, batchSize) { try flush() }
        }
        try flush()
        return report
    }

    /// Refuses an export whose header names an execution id outside `ExecutionID`'s alphabet, or a source
    /// ledger name no file system would give (it is stored with every imported row and printed by `show`).
    /// Every event line's execution is one of the header's: the verifier refuses any other.
    private static func checkNames(in header: ExportHeader, path: String) throws(ExportError) {
        for execution in header.executions where !ExecutionID.isValid(execution.id) {
            throw .invalidExecutionId(path: path, line: 1, id: execution.id)
        }
        if header.sourceLedger.utf8.count > Int(PATH_MAX) {
            throw .notAnExport(
                path: path, detail: "line 1 names a source_ledger longer than \(PATH_MAX) bytes, no file's path")
        }
    }

    /// How many rows of `stream` came from an import.
    private func importedRows(of stream: String) throws -> Int64 {
        try withReader { connection in
            let query = try connection.statement("SELECT count(*) FROM imports WHERE stream = ?")
            query.bind(1, stream)
            defer { query.reset() }
            try query.step()
            return query.int64(0)
        }
    }

    private func storedStreamHash(_ stream: String, version: Int64) throws -> SHA256Digest? {
        try withReader { connection in
            let query = try connection.statement("SELECT stream_hash FROM events WHERE stream = ? AND version = ?")
            query.bind(1, stream)
            query.bind(2, version)
            defer { query.reset() }
            return try query.step() ? query.digest(0) : nil
        }
    }

    /// Appends source events (in their export order) in one transaction, each with its own recorded time,
    /// after checking that each continues its stream and reproduces the source's stream hash.
    private func insertImported(
        _ events: [RecordedEvent], source: String, importedAt: String, exportPath: String
    ) throws(LedgerError) -> [RecordedEvent] {
        if options.record != nil {
            return try recordWrite(.importEvents(events, sourceLedger: source, importedAt: importedAt)) {
                (outcome) throws(LedgerError) -> [RecordedEvent] in
                guard case .imported(let rows, _) = outcome else {
                    throw .invalidArgument("the ledger of record answered an import with \(outcome)")
                }
                return rows
            }
        }
        let projections = options.projections
        return try withWriter { (connection) throws(LedgerError) -> [RecordedEvent] in
            try connection.immediateTransaction { () throws(LedgerError) -> [RecordedEvent] in
                var (seq, prevHash) = try EventStore.globalTail(connection)
                let insert = try EventStore.eventInsertStatement(connection)
                let provenance = try connection.statement(
                    """
                    INSERT INTO imports(imported_seq, stream, source_ledger, source_seq, source_hash,
                                        source_stream_hash, imported_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
                var heads: [String: StreamHead] = [:]
                var recorded: [RecordedEvent] = []
                recorded.reserveCapacity(events.count)
                for event in events {
                    let head: StreamHead
                    if let known = heads[event.stream] {
                        head = known
                    } else {
                        head = try Self.streamHead(event.stream, connection)
                    }
                    guard event.version == head.version + 1 else {
                        throw .versionConflict(
                            stream: event.stream, expected: .exactly(event.version - 1), actual: head.version)
                    }
                    seq += 1
                    let digest = SHA256Digest.of(event.payload)
                    let hash = HashChain.globalHash(
                        prev: prevHash, seq: seq, stream: event.stream, version: event.version, type: event.type,
                        schemaVersion: event.schemaVersion, recordedAt: event.recordedAt, payloadSHA256: digest)
                    let streamHash = HashChain.streamHash(
                        prev: head.streamHash, stream: event.stream, version: event.version, type: event.type,
                        schemaVersion: event.schemaVersion, recordedAt: event.recordedAt, payloadSHA256: digest)
                    guard streamHash == event.streamHash else {
                        throw .invalidArgument(
                            "import of \(exportPath): execution \(event.stream) version \(event.version) would get "
                                + "stream hash \(streamHash.hex), not the source's \(event.streamHash.hex)")
                    }
                    insert.reset()
                    insert.bind(1, seq)
                    insert.bind(2, event.stream)
                    insert.bind(3, event.version)
                    insert.bind(4, event.type)
                    insert.bind(5, Int64(event.schemaVersion))
                    insert.bind(6, event.recordedAt)
                    insert.bind(7, event.payload)
                    insert.bind(8, digest)
                    insert.bind(9, prevHash)
                    insert.bind(10, hash)
                    insert.bind(11, streamHash)
                    try insert.step()
                    provenance.reset()
                    provenance.bind(1, seq)
                    provenance.bind(2, event.stream)
                    provenance.bind(3, source)
                    provenance.bind(4, event.seq)
                    provenance.bind(5, event.hash)
                    provenance.bind(6, event.streamHash)
                    provenance.bind(7, importedAt)
                    try provenance.step()
                    recorded.append(
                        RecordedEvent(
                            seq: seq, stream: event.stream, version: event.version, type: event.type,
                            schemaVersion: event.schemaVersion, recordedAt: event.recordedAt, payload: event.payload,
                            payloadSHA256: digest, prevHash: prevHash, hash: hash, streamHash: streamHash))
                    heads[event.stream] = StreamHead(version: event.version, streamHash: streamHash)
                    prevHash = hash
                }
                try Self.updateProjections(projections, with: recorded, connection)
                return recorded
            }
        }
    }

    /// Stores provenance rows taken from a ledger of record (inside an open write transaction).
    static func insertProvenance(_ rows: [ImportRecord], _ connection: Connection) throws(LedgerError) {
        guard !rows.isEmpty else { return }
        let insert = try connection.statement(
            """
            INSERT INTO imports(imported_seq, stream, source_ledger, source_seq, source_hash, source_stream_hash,
                                imported_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for row in rows {
            insert.reset()
            insert.bind(1, row.importedSeq)
            insert.bind(2, row.stream)
            insert.bind(3, row.sourceLedger)
            insert.bind(4, row.sourceSeq)
            insert.bind(5, row.sourceHash)
            insert.bind(6, row.sourceStreamHash)
            insert.bind(7, row.importedAt)
            try insert.step()
        }
        insert.reset()
    }

    /// The provenance of imported events: the target seq and where it came from.
    public struct ImportProvenance: Sendable, Equatable {
        public var importedSeq: Int64
        public var stream: String
        public var sourceLedger: String
        public var sourceSeq: Int64
        public var sourceHash: SHA256Digest
        public var sourceStreamHash: SHA256Digest
    }

    /// The provenance rows of `stream`, in import order.
    public func importProvenance(of stream: String) throws -> [ImportProvenance] {
        try withReader { connection in
            let query = try connection.statement(
                """
                SELECT imported_seq, stream, source_ledger, source_seq, source_hash, source_stream_hash
                FROM imports WHERE stream = ? ORDER BY imported_seq
                """)
            query.bind(1, stream)
            defer { query.reset() }
            var rows: [ImportProvenance] = []
            while try query.step() {
                rows.append(
                    ImportProvenance(
                        importedSeq: query.int64(0), stream: query.text(1), sourceLedger: query.text(2),
                        sourceSeq: query.int64(3), sourceHash: query.digest(4), sourceStreamHash: query.digest(5)))
            }
            return rows
        }
    }
}
