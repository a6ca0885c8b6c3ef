import Foundation
import GoogleCloud
import Templates

/// What the engine needs from Cloud Logging: what each running job has said since the engine last asked,
/// already read as the engine reads a task's output (plain lines, and the `::{…}::` lines' outputs, metrics and
/// log lines). `GoogleTaskLogs` reads Cloud Logging for many jobs with one query per round; decision replay
/// answers from the recorded events.
public protocol TaskLogSource: Sendable {
    /// Starts following the job `uid`'s logs after `cursor` (`.start` for a new job).
    func follow(_ uid: String, after cursor: LogCursor) async
    /// Stops following the job.
    func forget(_ uid: String) async
    /// What the job said since the last call; nil when nothing new. `masker` masks the text quoted in warnings.
    func next(_ uid: String, masker: SecretMasker) async throws -> JobSaid?
}

/// What a job said in one read: its lines in log order, what its protocol lines carried, and the read position.
public struct JobSaid: Sendable, Equatable {
    public var lines: [LogLine]
    public var vars: [String: EventValue]
    public var metrics: [Metric]
    public var warnings: [String]
    public var cursorTime: String
    public var cursorInsertId: String

    public init(
        lines: [LogLine], vars: [String: EventValue], metrics: [Metric], warnings: [String], cursorTime: String,
        cursorInsertId: String
    ) {
        self.lines = lines
        self.vars = vars
        self.metrics = metrics
        self.warnings = warnings
        self.cursorTime = cursorTime
        self.cursorInsertId = cursorInsertId
    }
}
