import Engine

extension Kestra {
    /// A Kestra state name (`State.Type`), written in upper case exactly as Kestra writes it.
    public enum StateType: String, Codable, Sendable, Hashable, CaseIterable {
        case created = "CREATED"
        case submitted = "SUBMITTED"
        case running = "RUNNING"
        case paused = "PAUSED"
        case restarted = "RESTARTED"
        case killing = "KILLING"
        case success = "SUCCESS"
        case warning = "WARNING"
        case failed = "FAILED"
        case killed = "KILLED"
        case cancelled = "CANCELLED"
        case queued = "QUEUED"
        case retrying = "RETRYING"
        case retried = "RETRIED"
        case skipped = "SKIPPED"
        case breakpoint = "BREAKPOINT"
        case resubmitted = "RESUBMITTED"

        /// The Kestra name of one of BatchLedger's states. SUCCEEDED is Kestra's SUCCESS; CANCELLED (an execution
        /// or task run stopped by `Engine.kill` or Ctrl-C) is what Kestra calls KILLED, its state for a run stopped
        /// from outside (Kestra's own CANCELLED means refused by a concurrency limit, which BatchLedger never does).
        public init(_ state: RunState) {
            switch state {
            case .created: self = .created
            case .running: self = .running
            case .succeeded: self = .success
            case .warning: self = .warning
            case .failed: self = .failed
            case .cancelled, .killed: self = .killed
            }
        }

        /// Whether Kestra treats the state as final.
        public var isTerminal: Bool {
            switch self {
            case .success, .warning, .failed, .killed, .cancelled, .skipped, .retried, .resubmitted: return true
            default: return false
            }
        }
    }
}
