import Foundation

/// The executions this process drives now, each with the task that drives it, so that `Engine.kill` can cancel
/// one: the engine's cancellation path then deletes its jobs, cleans its staging and records CANCELLED.
final class RunningExecutions: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [String: Handle] = [:]
    /// Set by `detachAll`: nothing new is driven.
    private var closed = false
    /// Told each time an execution starts being driven (the engine's kill request watcher starts then).
    private var admittedHook: (@Sendable () -> Void)?

    /// Calls `hook` each time an execution starts being driven.
    func whenAdmitting(_ hook: @escaping @Sendable () -> Void) {
        lock.withLock { admittedHook = hook }
    }

    /// The cancel switch of one execution's task; a kill that comes before the task exists is kept for it.
    private final class Handle: @unchecked Sendable {
        private let lock = NSLock()
        private var cancelled = false
        private var cancelTask: (@Sendable () -> Void)?
        let note = KillNote()

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
        let admitted: Bool? = lock.withLock {
            guard !closed else { return nil }
            guard running[executionId] == nil else { return false }
            running[executionId] = handle
            return true
        }
        guard let admitted else {
            throw EngineFailure.invalidRequest(["the engine is stopping: execution \(executionId) is not driven"])
        }
        guard admitted else {
            throw EngineFailure.invalidRequest(["execution \(executionId) is already being driven by this process"])
        }
        defer { lock.withLock { running[executionId] = nil } }
        lock.withLock { admittedHook }?()
        let task = Task { try await KillNote.$current.withValue(handle.note) { try await body() } }
        handle.attach { task.cancel() }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Cancels the task that drives `executionId`, noting who asked (when given); false when this process does not
    /// drive it.
    func kill(_ executionId: String, by requester: String?) -> Bool {
        kill(executionId, by: requester, request: nil) != nil
    }

    /// Cancels the task that drives `executionId` for the kill request recorded at `request` (its `seq` in the
    /// control stream; nil for a kill without a record): nil when this process does not drive it, false when
    /// that request was delivered before (nothing is done again), true when it was delivered now. A kill after
    /// the first also stops the `finally` branches the first started.
    func kill(_ executionId: String, by requester: String?, request: Int64?) -> Bool? {
        guard let handle = lock.withLock({ running[executionId] }) else { return nil }
        guard handle.note.noteKill(by: requester, request: request) else { return false }
        handle.cancel()
        return true
    }

    /// Notes, before anything delivers it, a kill request that the task driving `executionId` acts on itself (a
    /// kill of an execution no process drove, which drives its `finally` here): the watcher delivers it no more.
    func noteDelivered(_ executionId: String, by requester: String, request: Int64) {
        guard let handle = lock.withLock({ running[executionId] }) else { return }
        handle.note.noteKill(by: requester, request: request)
    }

    /// Stops driving every execution without ending any (each stays interrupted, its jobs running, its lease given
    /// up) and refuses to drive new ones; returns the ids that were driven.
    func detachAll() -> [String] {
        let handles: [String: Handle] = lock.withLock {
            closed = true
            return running
        }
        for handle in handles.values {
            handle.note.detach()
            handle.cancel()
        }
        return handles.keys.sorted()
    }

    /// The ids of the executions driven now.
    var ids: [String] {
        lock.withLock { running.keys.sorted() }
    }
}
