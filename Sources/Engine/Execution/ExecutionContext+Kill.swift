import Flows
import Foundation

extension ExecutionContext {
    /// Whether `task` (in `scope`) has a recorded run: itself, or for a Parallel or ForEach any task run inside it.
    func hasStarted(_ task: FlowTask, _ scope: Scope) async -> Bool {
        let state = await recorder.state
        switch task {
        case .parallel, .forEach:
            var inside: Set<String> = []
            func visit(_ tasks: [FlowTask]) {
                for child in tasks {
                    inside.insert(child.id.value)
                    visit(child.childTasks)
                }
            }
            visit(task.childTasks)
            return state.taskRuns.contains { run in
                inside.contains(run.taskId) && run.taskRunId.dropFirst(run.taskId.count).hasPrefix(scope.suffix)
            }
        default:
            return state.taskRun(task.id.value + scope.suffix) != nil
        }
    }

    /// Ends an execution killed while no process drove it, once the kill recorded its task runs in flight
    /// cancelled: the `finally` branches of the blocks the kill interrupted run, innermost first, as they would
    /// have under its driver (a task not started is not started; one a further kill stops is recorded cancelled),
    /// then `afterExecution`, and the end is recorded. An execution queued behind its flow's concurrency limit
    /// had started nothing: no handler runs.
    func endKilled(by requester: String) async throws -> ExecutionState {
        var problem: any Error = CancellationError()
        if await recorder.state.concurrency != .queued {
            do {
                _ = try await Self.asKilled { [self] in
                    try await runBlock(
                        flow.tasks, handlers: TaskHandlers(errors: flow.errors, finally: flow.finally), Scope())
                }
            } catch is CancellationError {
            } catch {
                problem = error
            }
        }
        let killedBy = KillNote.current?.requestedBy ?? requester
        let (final, outputProblem) = try await withoutCancellation { [self, problem] in
            try await end(problem: problem, succeeded: false)
        }
        try await withoutCancellation { [recorder] in
            try await recorder.record(
                .executionFinished(
                    ExecutionFinished(state: final, requestedBy: final == .cancelled ? killedBy : nil)))
        }
        if !(problem is CancellationError) { throw problem }
        if let outputProblem { throw FlowProblems([outputProblem]) }
        return await recorder.state
    }

    /// Runs `body` in a task of its own that is cancelled before it does anything, as a killed driver's is.
    private static func asKilled<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await body()
        }.value
    }
}
