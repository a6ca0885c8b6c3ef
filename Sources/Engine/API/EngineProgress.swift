import Foundation
import Ledger

/// What the engine tells its caller while an operation works, besides the recorded events: a CLI prints these
/// lines, a server streams them.
public enum EngineProgress: Sendable {
    /// A new execution starts while the ledger holds `count` interrupted ones (which `recover` resumes).
    case interruptedExecutionsFound(count: Int)
    /// An execution starts: its id, flow and where it runs (`CloudTarget.summary`).
    case started(executionId: String, namespace: String, flowId: String, target: String)
    /// A fork starts from `parent` at `fromTask`.
    case forked(executionId: String, parent: String, fromTask: String, target: String)
    /// An execution loaded with `import` is driven (resumed, or forked) because the request said so.
    case drivingImported(executionId: String, origin: ImportOrigin)
    /// An execution loaded with `import` is left alone: the request did not say to drive it.
    case refusedImported(executionId: String, origin: ImportOrigin)
    /// Recovery begins to drive an interrupted execution.
    case resuming(executionId: String, namespace: String, flowId: String)
    /// Recovery is done with one execution.
    case recovered(RecoveryOutcome)
    /// Recovery of several executions ended, with the Batch calls it took to reconcile them.
    case reconciled(executions: Int, jobsListCalls: Int, jobsGetCalls: Int, elapsed: Duration)
}

/// Where an operation's progress, notices and recorded events go. Every callback may be called from any task.
public struct EngineObserver: Sendable {
    public var progress: @Sendable (EngineProgress) -> Void
    /// Things that are not events: a missing namespace folder, a changed namespace file, a cap reached.
    public var notice: @Sendable (String) -> Void
    /// The watcher of one execution's recorded events (each event with the state it made), asked once per
    /// execution driven; nil to watch nothing.
    public var events: @Sendable (_ executionId: String) -> (@Sendable (ExecutionEvent, ExecutionState) -> Void)?

    public init(
        progress: @escaping @Sendable (EngineProgress) -> Void = { _ in },
        notice: @escaping @Sendable (String) -> Void = { _ in },
        events: @escaping @Sendable (String) -> (@Sendable (ExecutionEvent, ExecutionState) -> Void)? = { _ in nil }
    ) {
        self.progress = progress
        self.notice = notice
        self.events = events
    }

    /// Tells nothing.
    public static let silent = EngineObserver()
}
