import Foundation

/// An export (NDJSON or CSV) read one page at a time, each page one short read of the ledger: a caller that waits
/// between pages (an HTTP response that goes out at the client's pace) holds no read transaction while it waits,
/// and memory stays bounded by the page size.
///
/// The export covers the ledger up to `through`, its last seq when the export began; rows are never changed, so
/// the pages add up to exactly the bytes one read would give (`exportNDJSON` and `exportCSV` write these pages).
public struct ExportPages: Sendable {
    /// The bytes of each event.
    public enum Format: Sendable {
        /// A header line (`ExportHeader`), then one envelope line per event (`ExportFormat.line`).
        case ndjson
        /// A row of column names, then one row per event (`CSVExport`); `describe` gives each event's task run
        /// and a one-line summary (the ledger does not know event types; the caller does).
        case csv(describe: @Sendable (RecordedEvent) -> (taskRun: String?, summary: String))
    }

    /// The NDJSON header (nil for CSV).
    public let header: ExportHeader?
    /// The last seq the export holds.
    public let through: Int64
    private let store: EventStore
    private let selection: ExportSelection
    private let format: Format
    /// The seq of the last event handed out.
    private var cursor: Int64
    private var started = false
    private var finished = false

    /// Begins an export of `selection`. Throws `unknownExecution` for an id not in the ledger.
    public init(_ store: EventStore, _ selection: ExportSelection, format: Format, exportedAt: Date = Date()) throws {
        self.store = store
        self.selection = selection
        self.format = format
        through = try store.lastSeq()
        switch format {
        case .ndjson:
            header = try store.exportHeader(selection, through: through, exportedAt: exportedAt)
        case .csv:
            if !selection.executions.isEmpty {
                _ = try store.exportHeader(selection, through: through)  // refuses unknown executions
            }
            header = nil
        }
        cursor = max(0, selection.sinceSeq)
    }

    /// The next page: the header line (or the column row) first, then up to `events` events; nil after the last.
    public mutating func next(events limit: Int = 1000) throws -> [UInt8]? {
        guard !finished else { return nil }
        var out: [UInt8] = []
        if !started {
            started = true
            out += try head()
        }
        var count = 0
        var last = cursor
        let format = format
        try store.readSelection(selection, after: cursor, through: through, limit: max(1, limit)) { event in
            out += try Self.bytes(of: event, format)
            last = event.seq
            count += 1
        }
        cursor = last
        if count < max(1, limit) { finished = true }
        return out.isEmpty ? nil : out
    }

    private func head() throws -> [UInt8] {
        switch format {
        case .ndjson:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return [UInt8](try encoder.encode(header)) + [UInt8(ascii: "\n")]
        case .csv:
            return Array(CSVExport.row(CSVExport.columns).utf8)
        }
    }

    private static func bytes(of event: RecordedEvent, _ format: Format) throws -> [UInt8] {
        switch format {
        case .ndjson:
            return ExportFormat.line(for: event) + [UInt8(ascii: "\n")]
        case .csv(let describe):
            let description = describe(event)
            return Array(
                CSVExport.row([
                    String(event.seq), event.stream, String(event.version), event.type, String(event.schemaVersion),
                    event.recordedAt, description.taskRun ?? "", description.summary, event.payloadSHA256.hex,
                    event.hash.hex,
                ]).utf8)
        }
    }
}

extension EventStore {
    /// Calls `body` with the events of `selection` after seq `after` through `through`, in seq order, at most
    /// `limit`: one page of an export.
    func readSelection(
        _ selection: ExportSelection, after: Int64, through: Int64, limit: Int, _ body: (RecordedEvent) throws -> Void
    ) throws {
        let streams = Array(Set(selection.executions))
        let placeholders = streams.map { _ in "?" }.joined(separator: ",")
        let condition = streams.isEmpty ? "" : " AND stream IN (\(placeholders))"
        try withReader { connection in
            let query = try connection.oneShotStatement(
                "SELECT \(Self.columns) FROM events WHERE seq > ? AND seq <= ?\(condition) ORDER BY seq LIMIT ?")
            query.bind(1, max(after, selection.sinceSeq, 0))
            query.bind(2, through)
            for (index, stream) in streams.enumerated() {
                query.bind(Int32(index + 3), stream)
            }
            query.bind(Int32(streams.count + 3), Int64(limit))
            while try query.step() {
                try body(Self.event(from: query))
            }
        }
    }
}
