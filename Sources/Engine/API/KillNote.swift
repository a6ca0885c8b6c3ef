import Foundation

/// Who asked to kill the execution the current task drives: set by `Engine.kill(_:by:)` before it cancels the
/// task, read where the cancellation is recorded (`TaskCancelled.reason`, `ExecutionFinished.requestedBy`).
/// Every task that drives one execution sees its note (a task-local set when the engine starts driving it).
final class KillNote: @unchecked Sendable {
    @TaskLocal static var current: KillNote?

    private let lock = NSLock()
    private var requester: String?
    private var detaching = false

    /// Notes who asked; the first name given stays.
    func note(_ name: String) {
        lock.withLock { if requester == nil { requester = name } }
    }

    /// The name of who asked, when someone did (nil: Ctrl-C, or the caller's task was cancelled).
    var requestedBy: String? { lock.withLock { requester } }

    /// Notes that the cancellation that follows stops driving the execution without ending it (a server shutting
    /// down): nothing is deleted or recorded, its jobs keep running, and the next recovery continues it.
    func detach() {
        lock.withLock { detaching = true }
    }

    var isDetaching: Bool { lock.withLock { detaching } }

    /// True when the current task's execution is being left for a later recovery rather than killed.
    static var isDetaching: Bool { current?.isDetaching ?? false }

    /// The reason a task run is recorded cancelled with, in the current task.
    static var reason: String {
        if let name = current?.requestedBy { return "killed by \(name)" }
        if let sibling = SiblingStop.current?.reason { return sibling }
        return "cancelled by the user"
    }
}
