import Templates

/// How an execution ends, from how its task runs ended and what stopped the run of its tasks: the one place that
/// decides SUCCEEDED, WARNING, FAILED or CANCELLED.
enum FinalState {
    /// The execution's final state.
    ///
    /// - CANCELLED when the run was cancelled (killed);
    /// - else FAILED when the run stopped on an error or a task run failed without `allowFailure` (the siblings
    ///   that failure cancelled do not make it CANCELLED);
    /// - else CANCELLED when a task run was;
    /// - else WARNING when a task run ended WARNING or failed with `allowFailure`;
    /// - else SUCCEEDED.
    static func of(taskRuns: [TaskRunState], problem: (any Error)?) -> RunState {
        if problem is CancellationError { return .cancelled }
        if problem != nil || taskRuns.contains(where: { $0.state == .failed && !$0.allowedFailure }) {
            return .failed
        }
        if taskRuns.contains(where: { $0.state == .cancelled }) { return .cancelled }
        if taskRuns.contains(where: { $0.state == .warning || ($0.state == .failed && $0.allowedFailure) }) {
            return .warning
        }
        return .succeeded
    }

    /// The execution's final state when its tasks ran as blocks with handlers: `flowSucceeded` is false when a
    /// task failed without `allowFailure` (in the tasks, `errors` or `finally`; `errors` never turn a failure
    /// into a success, as in Kestra).
    ///
    /// - CANCELLED when the run was cancelled (killed);
    /// - else FAILED when the run stopped on an error or the flow did not succeed (the siblings that failure
    ///   cancelled do not make it CANCELLED);
    /// - else WARNING when a task run ended WARNING, failed (a failure allowed here or around it) or was
    ///   cancelled (without a kill, only a sibling's allowed failure cancels a task run);
    /// - else SUCCEEDED.
    static func of(taskRuns: [TaskRunState], problem: (any Error)?, flowSucceeded: Bool) -> RunState {
        if problem is CancellationError { return .cancelled }
        if problem != nil || !flowSucceeded { return .failed }
        if taskRuns.contains(where: { $0.state == .warning || $0.state == .failed || $0.state == .cancelled }) {
            return .warning
        }
        return .succeeded
    }

    /// Whether a recovery that stopped on `problem` leaves the execution interrupted (no final state recorded),
    /// so that a later `recover` continues it: any failure of the outside world does, while a cancellation or a
    /// flow or template problem ends it, and so does a FILE input's file that no host can give any more. A run that
    /// is not a recovery always records a final state.
    static func staysInterrupted(recovering: Bool, problem: (any Error)?) -> Bool {
        guard recovering, let problem else { return false }
        return !(problem is CancellationError) && !(problem is FlowProblems) && !(problem is TemplateError)
            && !(problem is InputFileUnavailable)
    }
}
