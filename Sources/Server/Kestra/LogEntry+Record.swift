import Engine

extension Kestra.LogEntry {
    /// The stored log line `recorded` of the execution `state`, as Kestra shows it: its own time (or, when that is
    /// not RFC 3339, the time the ledger recorded it), its level (`Level(severity:stderr:)`), and the attempt as
    /// Kestra's 0-based index.
    public init(_ recorded: RecordedLogLine, of state: ExecutionState) {
        self.init(
            namespace: state.namespace, flowId: state.flowId, taskId: recorded.taskId,
            executionId: state.executionId, taskRunId: recorded.taskRunId, attemptNumber: recorded.attempt - 1,
            timestamp: Kestra.date(recorded.line.time) ?? Kestra.date(recorded.recordedAt),
            level: Kestra.Level(severity: recorded.line.severity, stderr: recorded.line.stderr),
            message: recorded.line.text)
    }

    /// The execution's stored log lines that `filter` admits, in the order they were recorded.
    public static func entries(of record: ExecutionRecord, filter: Kestra.LogFilter = .init()) -> [Kestra.LogEntry] {
        Array(record.logLines.lazy.map { Kestra.LogEntry($0, of: record.state) }.filter(filter.admits))
    }
}
