import Foundation

/// How an execution the engine drove ended: its final state, folded from the ledger, and its report.
public struct ExecutionOutcome: Sendable {
    /// How an execution ended, in the terms a caller acts on.
    public enum Ending: Sendable, Equatable {
        /// SUCCEEDED, or WARNING (a failure its task allowed, or a warning on standard error).
        case succeeded
        /// A task failed.
        case failed
        /// Cancelled (`Engine.kill`, Ctrl-C): its jobs were deleted and the cancellation recorded.
        case cancelled
        /// Not ended: it stays interrupted for `recover`.
        case interrupted
    }

    public var state: ExecutionState

    public init(_ state: ExecutionState) {
        self.state = state
    }

    public var executionId: String { state.executionId }

    /// The document `run --json` prints.
    public var report: ExecutionReport { ExecutionReport(state) }

    public var ending: Ending {
        switch state.state {
        case .succeeded, .warning: return .succeeded
        case .cancelled: return .cancelled
        case .running, .created: return .interrupted
        case .failed, .killed: return .failed
        }
    }
}
