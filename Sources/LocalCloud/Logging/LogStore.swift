import Foundation

/// Every log entry the emulator's jobs wrote, queryable with `entries:list`; with a state directory the
/// entries are appended to `logs.ndjson` and read back on start.
///
/// The store keeps at most `LocalCloudLimits.maxLogEntries` entries and `maxLogBytes` bytes of text; lines
/// past that are dropped, and each job that lost lines gets one ERROR entry saying so.
actor LogStore {
    private var entries: [LogEntry] = []
    private var sequence: UInt64 = 0
    private let file: URL?
    private var handle: FileHandle?
    private let now: @Sendable () -> Date
    private let limits: LocalCloudLimits
    private var textBytes = 0
    /// Jobs told that their lines were dropped (at most `maxDropNotices`, so the notices are bounded too).
    private var noticedJobs: Set<String> = []
    static let maxDropNotices = 10_000

    init(stateDirectory: URL?, now: @escaping @Sendable () -> Date, limits: LocalCloudLimits = .default) throws {
        self.now = now
        self.limits = limits
        guard let stateDirectory else {
            file = nil
            return
        }
        let file = stateDirectory.appendingPathComponent("logs.ndjson")
        self.file = file
        if let data = try? Data(contentsOf: file) {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            var loaded: [LogEntry] = []
            var loadedBytes = 0
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                guard let entry = try? decoder.decode(LogEntry.self, from: Data(line)) else { continue }
                let size = entry.textPayload.utf8.count
                guard loaded.count < limits.maxLogEntries, loadedBytes + size <= limits.maxLogBytes else { break }
                loaded.append(entry)
                loadedBytes += size
            }
            entries = loaded
            textBytes = loadedBytes
        } else {
            _ = FileManager.default.createFile(
                atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        // Log text may quote anything a job printed: private, like the rest of the state (also a file an older
        // version created readable by others).
        chmod(file.path, 0o600)
        handle = try FileHandle(forWritingTo: file)
        _ = try handle?.seekToEnd()
        sequence = UInt64(entries.count)
    }

    /// Stops writing to the state directory (the emulator was abandoned; a new one owns the file).
    func detach() {
        try? handle?.close()
        handle = nil
    }

    /// Appends lines of one task's output, one entry per line, with increasing timestamps and insertIds.
    func append(
        lines: [String], severity: String, project: String, jobUID: String, taskID: String,
        jobLabels: [String: String], location: String
    ) {
        guard !lines.isEmpty else { return }
        var labels = jobLabels
        labels["job_uid"] = jobUID
        labels["task_id"] = taskID
        labels["task_group_name"] = "group0"
        var written: [LogEntry] = []
        let base = now()
        func entry(_ text: String, severity: String, offset: Int) -> LogEntry {
            sequence += 1
            return LogEntry(
                logName: "projects/\(project)/logs/batch_task_logs", severity: severity, textPayload: text,
                timestamp: base.addingTimeInterval(Double(offset) * 1e-6), receiveTimestamp: base,
                insertId: String(format: "%016llx", sequence), labels: labels,
                resourceType: "batch.googleapis.com/Job",
                resourceLabels: ["job_id": jobUID, "location": location, "resource_container": project])
        }
        for (offset, line) in lines.enumerated() {
            guard hasRoom(for: line) else {
                if noticedJobs.count < Self.maxDropNotices, noticedJobs.insert(jobUID).inserted {
                    written.append(entry(dropNotice, severity: "ERROR", offset: offset))
                }
                break
            }
            textBytes += line.utf8.count
            written.append(entry(line, severity: severity, offset: offset))
        }
        entries.append(contentsOf: written)
        persist(written)
    }

    private func hasRoom(for line: String) -> Bool {
        entries.count < limits.maxLogEntries && textBytes + line.utf8.count <= limits.maxLogBytes
    }

    private var dropNotice: String {
        "LocalCloud dropped log lines of this job and of any later ones: its log store is full (\(entries.count) "
            + "entries, \(textBytes) bytes of text; the limits are LocalCloudLimits.maxLogEntries = "
            + "\(limits.maxLogEntries) and maxLogBytes = \(limits.maxLogBytes)). Start the emulator with a higher "
            + "--max-log-entries or --max-log-bytes, or with a fresh --state-dir."
    }

    private func persist(_ written: [LogEntry]) {
        guard let handle else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        var data = Data()
        for entry in written {
            if let line = try? encoder.encode(entry) {
                data.append(line)
                data.append(UInt8(ascii: "\n"))
            }
        }
        try? handle.write(contentsOf: data)
    }

    /// `entries:list`: filters, orders by (timestamp, insertId) and pages.
    func list(
        resourceNames: [String], filter: FilterExpression?, descending: Bool, pageSize: Int, pageToken: String?
    ) -> (entries: [LogEntry], nextPageToken: String?) {
        let projects = Set(
            resourceNames.compactMap { name -> String? in
                let parts = name.split(separator: "/")
                return parts.count >= 2 && parts[0] == "projects" ? String(parts[1]) : nil
            })
        var matched = entries.filter { entry in
            let project = entry.logName.split(separator: "/").dropFirst().first.map(String.init) ?? ""
            guard projects.isEmpty || projects.contains(project) else { return false }
            return filter?.matches { field, op, value in Self.compare(entry, field, op, value) } ?? true
        }
        matched.sort { a, b in
            if a.timestamp != b.timestamp { return descending ? a.timestamp > b.timestamp : a.timestamp < b.timestamp }
            return descending ? a.insertId > b.insertId : a.insertId < b.insertId
        }
        let start = max(0, pageToken.flatMap { Int($0) } ?? 0)
        guard start < matched.count else { return ([], nil) }
        let end = min(matched.count, start + max(1, min(pageSize, 1000)))
        return (Array(matched[start..<end]), end < matched.count ? String(end) : nil)
    }

    static func compare(_ entry: LogEntry, _ field: String, _ op: FilterExpression.Operator, _ value: String) -> Bool {
        switch field {
        case "timestamp", "receiveTimestamp":
            guard let date = RFC3339.parse(value) else { return false }
            let actual = field == "timestamp" ? entry.timestamp : entry.receiveTimestamp
            return ordered(actual, op, date)
        case "severity":
            guard let wanted = LogEntry.severityRank(value), let actual = LogEntry.severityRank(entry.severity) else {
                return false
            }
            return ordered(actual, op, wanted)
        default:
            let actual: String?
            if field.hasPrefix("labels.") {
                actual = entry.labels[String(field.dropFirst(7))]
            } else if field.hasPrefix("resource.labels.") {
                actual = entry.resourceLabels[String(field.dropFirst(16))]
            } else {
                switch field {
                case "logName": actual = entry.logName
                case "textPayload": actual = entry.textPayload
                case "insertId": actual = entry.insertId
                case "resource.type": actual = entry.resourceType
                default: actual = nil
                }
            }
            guard let actual else { return op == .notEqual }
            if op == .has { return actual.contains(value) }
            return ordered(actual, op, value)
        }
    }

    static func ordered<T: Comparable>(_ a: T, _ op: FilterExpression.Operator, _ b: T) -> Bool {
        switch op {
        case .equal, .has: return a == b
        case .notEqual: return a != b
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        }
    }
}
