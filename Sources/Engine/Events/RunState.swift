import Foundation

/// The state of an execution or of one task run, recorded and printed by its upper-case name (the raw value),
/// so the ledger's JSON and the CLI's text and JSON read SUCCEEDED, WARNING, FAILED, CANCELLED as they always
/// have. A host that speaks another vocabulary (Kestra's) maps these at its own edge.
public enum RunState: String, Codable, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An execution before its `ExecutionStarted` is folded.
    case created = "CREATED"
    /// Started and not ended; an execution that stays RUNNING without a process is interrupted.
    case running = "RUNNING"
    case succeeded = "SUCCEEDED"
    /// Succeeded with a warning: a failure its task allowed, or lines on standard error with `warningOnStdErr`.
    case warning = "WARNING"
    case failed = "FAILED"
    /// Cancelled by `Engine.kill` or Ctrl-C: its jobs were deleted and the cancellation recorded.
    case cancelled = "CANCELLED"
    /// Killed (Kestra's name for an execution stopped from outside); not recorded by this version, known so that a
    /// ledger that holds it still reads.
    case killed = "KILLED"

    /// Whether the state is final (nothing more happens to the execution or task run).
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .warning, .failed, .cancelled, .killed: return true
        case .created, .running: return false
        }
    }

    /// SUCCEEDED or WARNING: the run ended well enough for the flow to go on.
    public var isSuccessful: Bool { self == .succeeded || self == .warning }

    public var description: String { rawValue }
}
