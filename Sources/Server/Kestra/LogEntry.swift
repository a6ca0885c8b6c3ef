extension Kestra {
    /// One log line as `GET /logs/{executionId}` returns it.
    public struct LogEntry: Codable, Sendable, Equatable {
        public var namespace: String
        public var flowId: String
        public var taskId: String?
        public var executionId: String?
        public var taskRunId: String?
        /// Kestra's attempt index: 0 for a task run's first attempt.
        public var attemptNumber: Int?
        public var timestamp: String?
        public var level: Level?
        public var message: String?

        public init(
            namespace: String, flowId: String, taskId: String?, executionId: String?, taskRunId: String?,
            attemptNumber: Int?, timestamp: String?, level: Level?, message: String?
        ) {
            self.namespace = namespace
            self.flowId = flowId
            self.taskId = taskId
            self.executionId = executionId
            self.taskRunId = taskRunId
            self.attemptNumber = attemptNumber
            self.timestamp = timestamp
            self.level = level
            self.message = message
        }
    }

    /// A log level (slf4j's names), ordered from the least to the most severe.
    public enum Level: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
        case trace = "TRACE"
        case debug = "DEBUG"
        case info = "INFO"
        case warn = "WARN"
        case error = "ERROR"

        /// The level of a stored line: its recorded severity when that names one (Cloud Logging's names, such as
        /// WARNING, NOTICE or CRITICAL, and the slf4j names a script's `::{"logs":…}::` lines give), otherwise
        /// ERROR for a line from standard error and INFO for one from standard output (Cloud Logging's DEFAULT).
        public init(severity: String, stderr: Bool) {
            switch severity.uppercased() {
            case "TRACE": self = .trace
            case "DEBUG": self = .debug
            case "INFO", "NOTICE": self = .info
            case "WARN", "WARNING": self = .warn
            case "ERROR", "CRITICAL", "ALERT", "EMERGENCY", "FATAL", "SEVERE": self = .error
            default: self = stderr ? .error : .info
            }
        }

        /// A level named as Kestra's `minLevel` parameter names it (any case); nil for an unknown name.
        public init?(name: String) {
            self.init(rawValue: name.uppercased())
        }

        private var rank: Int { Self.allCases.firstIndex(of: self)! }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }
}
