import Clocks
import Foundation
import GoogleCloud
import Templates

/// `TaskLogSource` over Cloud Logging: the task logs of the running jobs of one project, read with one shared
/// query per round for every job followed (through `BatchLogReader`, within the project's allowance), each job's
/// entries delivered once from its own cursor and read as task output (`TaskOutputReading`). Reads are spaced so
/// that the allowance lasts the whole minute.
actor GoogleTaskLogs: TaskLogSource {
    let reader: BatchLogReader
    let clock: AnyClock<Duration>
    private var cursors: [String: LogCursor] = [:]
    private var buffers: [String: [LogEntry]] = [:]
    private var inFlight: Task<Void, Error>?
    /// The earliest start of the next shared read.
    private var nextRead: AnyClock<Duration>.Instant?

    init(reader: BatchLogReader, clock: AnyClock<Duration> = .continuous) {
        self.reader = reader
        self.clock = clock
    }

    func follow(_ uid: String, after cursor: LogCursor) {
        if cursors[uid] == nil { cursors[uid] = cursor }
    }

    func forget(_ uid: String) {
        cursors[uid] = nil
        buffers[uid] = nil
    }

    func next(_ uid: String, masker: SecretMasker) async throws -> JobSaid? {
        TaskOutputReading.read(try await drain(uid), masker: masker)
    }

    /// New entries of `uid` since the last call, in log order: from the buffer, or from a new shared read (or
    /// the one in flight).
    private func drain(_ uid: String) async throws -> [LogEntry] {
        if buffers[uid, default: []].isEmpty {
            if let inFlight {
                try await inFlight.value
            } else {
                let task = Task { try await self.sharedRead() }
                inFlight = task
                defer { inFlight = nil }
                try await task.value
            }
        }
        let lines = buffers[uid] ?? []
        buffers[uid] = []
        return lines
    }

    /// One read for every job followed, started no sooner than `queries × 1 minute / allowance` after the previous
    /// one started. Without the spacing, many jobs polling at once (or waiting for their last lines) start reads
    /// back to back, spend the minute's allowance in seconds, and then all wait for it to come back.
    private func sharedRead() async throws {
        if let nextRead, clock.now < nextRead {
            try await clock.sleep(until: nextRead)
        }
        let perMinute = await reader.budget.perMinute
        // Jobs followed during the wait are read too.
        let snapshot = cursors
        nextRead = clock.now.advanced(by: .seconds(60) / perMinute * Self.queries(snapshot.keys))
        let result = try await reader.read(snapshot)
        deliver(result.entries, cursors: result.cursors)
    }

    /// The queries `BatchLogReader.read` makes for these jobs, pages aside: one per group of job uids whose
    /// filter fits Cloud Logging's limit (grouped as the reader groups them).
    static func queries(_ uids: some Sequence<String>) -> Int {
        var queries = 1
        var length = 0
        var inQuery = 0
        for uid in uids.sorted() {
            let clause = uid.utf8.count + 32
            if length + clause > BatchLogReader.maxFilterLength - 200, inQuery > 0 {
                queries += 1
                length = 0
                inQuery = 0
            }
            length += clause
            inQuery += 1
        }
        return queries
    }

    private func deliver(_ entries: [String: [LogEntry]], cursors advanced: [String: LogCursor]) {
        for (uid, lines) in entries where cursors[uid] != nil {
            buffers[uid, default: []] += lines
        }
        for (uid, cursor) in advanced where cursors[uid] != nil {
            cursors[uid] = max(cursors[uid]!, cursor)
        }
    }
}

/// Reads a job's log entries as Kestra reads a script's output: protocol lines (`::{…}::`) give outputs, metrics
/// and log lines and are not stored as lines; an invalid one is a warning; everything else is a line. A line is
/// parsed as the job printed it, before any masking (a secret such as `outputs` or `"` must not break the
/// protocol); the recorder masks the events' free text.
enum TaskOutputReading {
    static func read(_ entries: [LogEntry], masker: SecretMasker) -> JobSaid? {
        guard let last = entries.last else { return nil }
        var said = JobSaid(
            lines: [], vars: [:], metrics: [], warnings: [], cursorTime: last.timestamp,
            cursorInsertId: last.insertId)
        for entry in entries {
            let text = entry.text
            let stderr = ["ERROR", "CRITICAL", "ALERT", "EMERGENCY"].contains(entry.severity)
            switch OutputProtocol.parse(text) {
            case .message(let message):
                said.vars.merge(message.outputs) { _, new in new }
                said.metrics += message.metrics
                for log in message.logs {
                    said.lines.append(
                        LogLine(time: entry.timestamp, severity: log.level, text: log.message, stderr: stderr))
                }
                if stderr {
                    // Kestra counts stderr protocol lines toward warningOnStdErr too; keep the fact, not the line.
                    said.lines.append(LogLine(time: entry.timestamp, severity: "ERROR", text: text, stderr: true))
                }
            case .invalid:
                // The warning quotes the start of the line: cut it from the masked line, so that the cut cannot
                // leave part of a secret.
                if case .invalid(let warning) = OutputProtocol.parse(masker.mask(text)) {
                    said.warnings.append(warning)
                } else {
                    said.warnings.append("Invalid outputs")
                }
                said.lines.append(LogLine(time: entry.timestamp, severity: entry.severity, text: text, stderr: stderr))
            case .plain:
                said.lines.append(LogLine(time: entry.timestamp, severity: entry.severity, text: text, stderr: stderr))
            }
        }
        return said
    }
}
