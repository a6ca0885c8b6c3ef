import Foundation

/// Why the running children of a flowable (Parallel branches, ForEach iterations) are being stopped: one of them
/// failed without `allowFailure`, which fails the flowable, so the others are killed (their jobs deleted, their
/// task runs recorded cancelled with this reason) and those not started never start, as in Kestra. Every child
/// task sees the note of its flowable (a task-local); a nested flowable's note knows the one around it.
final class SiblingStop: @unchecked Sendable {
    @TaskLocal static var current: SiblingStop?

    private let lock = NSLock()
    private var why: String?
    private let outer: SiblingStop?

    init(outer: SiblingStop? = SiblingStop.current) {
        self.outer = outer
    }

    /// Notes why the children stop; the first reason stays.
    func stop(_ reason: String) {
        lock.withLock { if why == nil { why = reason } }
    }

    var stopped: Bool { lock.withLock { why != nil } }

    /// Why this flowable's children, or those of one around it, were stopped; nil when none was.
    var reason: String? { lock.withLock { why } ?? outer?.reason }
}

/// Runs the children of a flowable, at most `limit` at once, and tells whether the flow may go on after it.
enum SiblingRuns {
    /// Why a task run a failed sibling stopped was cancelled (`TaskCancelled.reason`).
    static func stoppedReason(_ name: String) -> String { "cancelled: another task run of \(name) failed" }

    /// Whether a recorded cancelled task run was stopped by a failed sibling (not killed): resumed, it reports a
    /// failure, as the uninterrupted run's group did, never a kill.
    static func wasStoppedBySibling(_ run: TaskRunState) -> Bool {
        run.state == .cancelled && run.failureReason?.hasPrefix("cancelled: another task run of ") == true
    }

    /// Runs `work(0..<count)` (each true when its child succeeded or its failure is allowed). When one returns
    /// false, the others running are cancelled and the rest not started, and the result is false; when one
    /// throws, the others are cancelled the same way and the error is rethrown. A cancellation of the caller
    /// (a kill) is rethrown as it is.
    static func run(
        _ count: Int, limit: Int, name: String, _ work: @escaping @Sendable (Int) async throws -> Bool
    ) async throws -> Bool {
        let stop = SiblingStop()
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            var next = 0
            var succeeded = true
            func add() {
                let index = next
                next += 1
                group.addTask { try await SiblingStop.$current.withValue(stop) { try await work(index) } }
            }
            while next < min(count, max(1, limit)) { add() }
            while true {
                let result: Bool?
                do {
                    result = try await group.next()
                } catch is CancellationError where stop.stopped && !Task.isCancelled {
                    // A sibling stopped because another failed.
                    continue
                } catch {
                    stop.stop(Self.stoppedReason(name))
                    throw error
                }
                guard let result else { break }
                if !result && succeeded {
                    succeeded = false
                    stop.stop(Self.stoppedReason(name))
                    group.cancelAll()
                }
                if succeeded && next < count { add() }
            }
            return succeeded
        }
    }
}
