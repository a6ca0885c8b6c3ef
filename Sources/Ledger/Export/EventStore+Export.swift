import Foundation
import Primitives

/// Which events an export holds: some executions (or all), after a seq, up to the ledger's end when it began.
public struct ExportSelection: Sendable, Equatable {
    /// Execution ids; empty means every execution.
    public var executions: [String]
    /// Only events with a greater seq.
    public var sinceSeq: Int64

    public init(executions: [String] = [], sinceSeq: Int64 = 0) {
        self.executions = executions
        self.sinceSeq = sinceSeq
    }
}

extension EventStore {
    /// The header an export of `selection` gets, computed against the snapshot `…through`: which executions,
    /// their versions and the chain links at both ends. Throws `unknownExecution` for an id not in the ledger.
    public func exportHeader(_ selection: ExportSelection, through: Int64, exportedAt: Date = Date())
        throws -> ExportHeader
    {
        let since = max(0, selection.sinceSeq)
        return try withReader { connection in
            var executions: [ExportHeader.Execution] = []
            let hashAt = try connection.statement("SELECT stream_hash FROM events WHERE stream = ? AND version = ?")
            func streamHash(_ stream: String, _ version: Int64) throws -> SHA256Digest {
                guard version >= 1 else { return .zero }
                hashAt.reset()
                hashAt.bind(1, stream)
                hashAt.bind(2, version)
                defer { hashAt.reset() }
                return try hashAt.step() ? hashAt.digest(0) : .zero
            }
            func entry(_ stream: String, from: Int64, through last: Int64, count: Int64) throws
                -> ExportHeader.Execution
            {
                ExportHeader.Execution(
                    id: stream, fromVersion: from, throughVersion: last, events: count,
                    startStreamHash: try streamHash(stream, from - 1).hex,
                    endStreamHash: try streamHash(stream, last).hex)
            }
            if selection.executions.isEmpty {
                let groups = try connection.statement(
                    """
                    SELECT stream, min(version), max(version), count(*) FROM events
                    WHERE seq > ? AND seq <= ? GROUP BY stream ORDER BY min(seq)
                    """)
                groups.bind(1, since)
                groups.bind(2, through)
                var found: [(String, Int64, Int64, Int64)] = []
                while try groups.step() {
                    found.append((groups.text(0), groups.int64(1), groups.int64(2), groups.int64(3)))
                }
                for (stream, from, last, count) in found {
                    executions.append(try entry(stream, from: from, through: last, count: count))
                }
            } else {
                let range = try connection.statement(
                    """
                    SELECT coalesce(min(version), 0), coalesce(max(version), 0), count(*),
                           (SELECT coalesce(max(version), 0) FROM events WHERE stream = ?1 AND seq <= ?3)
                    FROM events WHERE stream = ?1 AND seq > ?2 AND seq <= ?3
                    """)
                var seen = Set<String>()
                for stream in selection.executions where seen.insert(stream).inserted {
                    range.reset()
                    range.bind(1, stream)
                    range.bind(2, since)
                    range.bind(3, through)
                    try range.step()
                    let (from, last, count, head) = (range.int64(0), range.int64(1), range.int64(2), range.int64(3))
                    range.reset()
                    guard head > 0 else { throw ExportError.unknownExecution(stream, ledger: path) }
                    if count == 0 {
                        executions.append(try entry(stream, from: head + 1, through: head, count: 0))
                    } else {
                        executions.append(try entry(stream, from: from, through: last, count: count))
                    }
                }
            }
            var global: ExportHeader.Global?
            if selection.executions.isEmpty {
                let hash = try connection.statement("SELECT hash FROM events WHERE seq = ?")
                func rowHash(_ seq: Int64) throws -> SHA256Digest {
                    hash.reset()
                    hash.bind(1, seq)
                    defer { hash.reset() }
                    return try hash.step() ? hash.digest(0) : .zero
                }
                global = ExportHeader.Global(
                    afterSeq: since, startHash: try rowHash(since).hex, throughSeq: max(since, through),
                    endHash: try rowHash(max(since, through)).hex)
            }
            return ExportHeader(
                format: ExportFormat.name, formatVersion: ExportFormat.version,
                exportedAt: Timestamp.rfc3339(exportedAt), sourceLedger: name, sinceSeq: since, throughSeq: through,
                events: executions.reduce(0) { $0 + $1.events }, executions: executions, global: global)
        }
    }

    /// Calls `body` with each event of `selection` up to `through`, in seq order; memory stays constant.
    public func readSelection(
        _ selection: ExportSelection, through: Int64, _ body: (RecordedEvent) throws -> Void
    ) throws {
        if selection.executions.isEmpty {
            try readAll(after: max(0, selection.sinceSeq), through: through, body)
            return
        }
        let streams = Array(Set(selection.executions))
        let placeholders = streams.map { _ in "?" }.joined(separator: ",")
        try withReader { connection in
            let query = try connection.oneShotStatement(
                "SELECT \(Self.columns) FROM events WHERE seq > ? AND seq <= ? AND stream IN (\(placeholders)) "
                    + "ORDER BY seq")
            query.bind(1, max(0, selection.sinceSeq))
            query.bind(2, through)
            for (index, stream) in streams.enumerated() {
                query.bind(Int32(index + 3), stream)
            }
            while try query.step() {
                try body(Self.event(from: query))
            }
        }
    }

    /// Writes the NDJSON export of `selection` (DESIGN §4) to `output`, streaming, and returns its header.
    @discardableResult
    public func exportNDJSON(_ selection: ExportSelection, to output: ExportOutput, exportedAt: Date = Date())
        throws -> ExportHeader
    {
        var pages = try ExportPages(self, selection, format: .ndjson, exportedAt: exportedAt)
        while let page = try pages.next() {
            try output.write(page)
        }
        try output.finish()
        return pages.header!
    }
}
