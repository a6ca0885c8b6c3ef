import Foundation

/// Who asked to kill the execution the current task drives: set by `Engine.kill(_:by:)` before it cancels the
/// task, read where the cancellation is recorded (`TaskCancelled.reason`, `ExecutionFinished.requestedBy`).
/// Every task that drives one execution sees its note (a task-local set when the engine starts driving it).
///
/// A kill starts the `finally` branches of the blocks it interrupted, which the kill itself does not stop (Kestra
/// runs them after a kill); a further kill stops them too (`afterKill`).
final class KillNote: @unchecked Sendable {
    @TaskLocal static var current: KillNote?

    private let lock = NSLock()
    private var requester: String?
    private var latest: String?
    private var detaching = false
    /// The kill requests delivered (by their `seq` in the control stream), so that one is counted once.
    private var delivered: Set<Int64> = []
    /// How many kills were delivered.
    private var kills = 0
    /// The `finally` branches running after a kill, each with its cancel switch.
    private var shields: [Int: @Sendable () -> Void] = [:]
    private var nextShield = 0

    /// Notes who asked; the first name given stays.
    func note(_ name: String) {
        lock.withLock {
            if requester == nil { requester = name }
            latest = name
        }
    }

    /// Notes a kill (`request`: its `seq` in the control stream, nil for one asked in this process without a
    /// record); false when that request was delivered before. A kill stops every `finally` branch that an earlier
    /// kill started.
    @discardableResult
    func noteKill(by name: String?, request: Int64?) -> Bool {
        let stopping: [@Sendable () -> Void]? = lock.withLock {
            if let request, !delivered.insert(request).inserted { return nil }
            if let name {
                if requester == nil { requester = name }
                latest = name
            }
            kills += 1
            let running = Array(shields.values)
            shields = [:]
            return running
        }
        guard let stopping else { return false }
        for stop in stopping { stop() }
        return true
    }

    /// The name of who asked, when someone did (nil: Ctrl-C, or the caller's task was cancelled).
    var requestedBy: String? { lock.withLock { requester } }

    /// The name of who asked last (a kill that stopped a `finally` branch may come from someone else).
    var latestRequester: String? { lock.withLock { latest } }

    /// Notes that the cancellation that follows stops driving the execution without ending any (a server shutting
    /// down): nothing is deleted or recorded, its jobs keep running, and the next recovery continues it.
    func detach() {
        lock.withLock { detaching = true }
    }

    var isDetaching: Bool { lock.withLock { detaching } }

    /// True when the current task's execution is being left for a later recovery rather than killed.
    static var isDetaching: Bool { current?.isDetaching ?? false }

    /// The reason a task run is recorded cancelled with, in the current task.
    static var reason: String {
        if let name = current?.latestRequester { return "killed by \(name)" }
        if let sibling = SiblingStop.current?.reason { return sibling }
        return "cancelled by the user"
    }

    /// Runs `body` (a `finally` branch after a kill) in a task of its own: the cancellation that started it does
    /// not reach it, a further kill does (its task runs are then stopped as a kill stops any: jobs deleted, task
    /// runs recorded cancelled). When two kills came already, it does not run: `CancellationError`.
    static func afterKill<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let note = current else { return try await withoutCancellation(body) }
        let started: (task: Task<T, any Error>, key: Int)? = note.lock.withLock {
            guard note.kills < 2 else { return nil }
            note.nextShield += 1
            let task = Task { try await body() }
            note.shields[note.nextShield] = { task.cancel() }
            return (task, note.nextShield)
        }
        guard let started else { throw CancellationError() }
        defer { note.lock.withLock { note.shields[started.key] = nil } }
        return try await started.task.value
    }
}
