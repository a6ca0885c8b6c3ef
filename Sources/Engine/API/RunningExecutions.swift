import Foundation

/// The executions this process drives now, each with the task that drives it, so that `Engine.kill` can cancel
/// one: the engine's cancellation path then deletes its jobs, cleans its staging and records CANCELLED.
final class RunningExecutions: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [String: Handle] = [:]

    /// The cancel switch of one execution's task; a kill that comes before the task exists is kept for it.
    private final class Handle: @unchecked Sendable {
        private let lock = NSLock()
        private var cancelled = false
        private var cancelTask: (@Sendable () -> Void)?

        func attach(_ cancel: @escaping @Sendable () -> Void) {
            let now: Bool = lock.withLock {
                cancelTask = cancel
                return cancelled
            }
            if now { cancel() }
        }

        func cancel() {
            let task: (@Sendable () -> Void)? = lock.withLock {
                cancelled = true
                return cancelTask
            }
            task?()
        }
    }

    /// Runs `body` as the task that drives `executionId`: `kill(executionId)`, or cancelling the caller, cancels
    /// it. Throws `invalidRequest` when this process already drives that execution.
    func drive<T: Sendable>(_ executionId: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let handle = Handle()
        let admitted: Bool = lock.withLock {
            guard running[executionId] == nil else { return false }
            running[executionId] = handle
            return true
        }
        guard admitted else {
            throw EngineFailure.invalidRequest(["execution \(executionId) is already being driven by this process"])
        }
        defer { lock.withLock { running[executionId] = nil } }
        let task = Task { try await body() }
        handle.attach { task.cancel() }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Cancels the task that drives `executionId`; false when this process does not drive it.
    func kill(_ executionId: String) -> Bool {
        guard let handle = lock.withLock({ running[executionId] }) else { return false }
        handle.cancel()
        return true
    }

    /// The ids of the executions driven now.
    var ids: [String] {
        lock.withLock { running.keys.sorted() }
    }
}
