import Foundation

/// The CSV export: one row per event, for spreadsheets (RFC 4180: comma-separated, CRLF line ends, fields
/// quoted when they hold a comma, a quote or a line break, quotes doubled).
public enum CSVExport {
    public static let columns = [
        "seq", "execution", "version", "type", "schema_version", "recorded_at", "task_run", "summary",
        "payload_sha256", "hash",
    ]

    /// One field, quoted when it needs to be. A field starting with `=`, `+`, `-` or `@` gets a leading `'` so
    /// that a spreadsheet shows it as text instead of running it as a formula (log lines are user data).
    public static func field(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }
}

extension EventStore {
    /// Writes the CSV export of `selection` to `output`, streaming. `describe` gives each event's task run and a
    /// one-line summary (the ledger does not know event types; the caller does).
    public func exportCSV(
        _ selection: ExportSelection, to output: ExportOutput,
        describe: @escaping @Sendable (RecordedEvent) -> (taskRun: String?, summary: String)
    ) throws {
        var pages = try ExportPages(self, selection, format: .csv(describe: describe))
        while let page = try pages.next() {
            try output.write(page)
        }
        try output.finish()
    }
}
