extension Kestra {
    /// Which log lines `GET /logs/{executionId}` returns: Kestra's `taskId`, `taskRunId`, `attempt` and
    /// `minLevel` parameters (nil: no condition).
    public struct LogFilter: Sendable, Equatable {
        public var taskId: String?
        public var taskRunId: String?
        /// Kestra's attempt index (0 for the first attempt), as in `LogEntry.attemptNumber`.
        public var attempt: Int?
        /// Lines at this level or a more severe one.
        public var minLevel: Level?

        public init(taskId: String? = nil, taskRunId: String? = nil, attempt: Int? = nil, minLevel: Level? = nil) {
            self.taskId = taskId
            self.taskRunId = taskRunId
            self.attempt = attempt
            self.minLevel = minLevel
        }

        /// Whether `entry` passes every condition.
        public func admits(_ entry: LogEntry) -> Bool {
            if let taskId, entry.taskId != taskId { return false }
            if let taskRunId, entry.taskRunId != taskRunId { return false }
            if let attempt, entry.attemptNumber != attempt { return false }
            if let minLevel, (entry.level ?? .info) < minLevel { return false }
            return true
        }
    }
}
