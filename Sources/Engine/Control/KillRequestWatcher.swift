import Clocks
import Foundation
import Ledger

/// Delivers kill requests recorded by other processes (`KillRequested` in a control stream) to the executions
/// this engine drives: every `interval` while it drives any, one query for the requests recorded since the last
/// (on the events' type index), whatever the number of executions driven; each requested execution it drives is
/// killed as `Engine.kill(_:by:)` does. A request recorded before its execution was driven here (a recovery that
/// took it over) is kept, and delivered once it is.
final class KillRequestWatcher: @unchecked Sendable {
    private let running: RunningExecutions
    private let interval: Duration
    private let clock: AnyClock<Duration>
    /// The ledger, once an operation has opened it (nil before: nothing can have been requested of this engine).
    private let store: @Sendable () -> EventStore?

    private let lock = NSLock()
    private var task: Task<Void, Never>?
    private var cursor: Int64 = 0
    /// The kill requests read and not yet delivered, by execution: who asked, and the request's `seq`.
    private var requested: [String: [(by: String, seq: Int64)]] = [:]

    init(
        running: RunningExecutions, interval: Duration, clock: AnyClock<Duration>,
        store: @escaping @Sendable () -> EventStore?
    ) {
        self.running = running
        self.interval = interval
        self.clock = clock
        self.store = store
    }

    /// Starts checking, unless it already does; it stops by itself when the engine drives nothing.
    func ensureRunning() {
        lock.withLock {
            guard task == nil else { return }
            task = Task.detached { [self] in await loop() }
        }
    }

    private func loop() async {
        while true {
            do {
                try await clock.sleep(for: interval)
            } catch {
                lock.withLock { task = nil }
                return
            }
            // On a thread of its own: over a shared ledger the check catches up first, which waits for the database.
            _ = try? await OwnThread.run { try self.check() }
            let done: Bool = lock.withLock {
                // Under the lock `ensureRunning` takes: an execution admitted after this sees no task and starts one.
                guard running.ids.isEmpty else { return false }
                task = nil
                return true
            }
            if done { return }
        }
    }

    /// Reads the requests recorded since the last check and kills the requested executions this engine drives
    /// (each request once: a second request of an execution whose `finally` runs after a first kill stops it);
    /// returns the ids of the executions a request was delivered to now.
    @discardableResult
    func check() throws -> [String] {
        guard let store = store() else { return [] }
        // Over a shared ledger, a kill may come from another host: the cache takes what it wrote first.
        if store.hasRecord { try store.catchUp() }
        let after = lock.withLock { cursor }
        let (requests, last) = try ExecutionControl.killRequests(after: after, in: store)
        let pending: [String: [(by: String, seq: Int64)]] = lock.withLock {
            cursor = max(cursor, last)
            for (request, seq) in requests
            where !(requested[request.executionId] ?? []).contains(where: { $0.seq == seq }) {
                requested[request.executionId, default: []].append((request.requestedBy, seq))
            }
            return requested
        }
        var killed: [String] = []
        for id in running.ids {
            guard let asked = pending[id] else { continue }
            var deliveredNow = false
            var reached = true
            for request in asked {
                switch running.kill(id, by: request.by, request: request.seq) {
                case true?: deliveredNow = true
                case false?: break
                case nil: reached = false
                }
            }
            // Delivered (now or before): the execution's driver knows of them. One that stopped being driven just
            // now keeps them, for a later driver here.
            if reached { lock.withLock { requested[id] = nil } }
            if deliveredNow { killed.append(id) }
        }
        return killed
    }
}
