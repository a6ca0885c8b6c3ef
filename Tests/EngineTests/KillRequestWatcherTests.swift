import Clocks
import Foundation
import Ledger
import Testing

@testable import Engine

/// The watcher that delivers kill requests recorded by other processes to the executions this engine drives.
@Suite("Kill requests from other processes")
struct KillRequestWatcherTests {
    /// A fresh ledger in a folder of its own.
    func store() throws -> EventStore {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try EventStore(path: folder.appendingPathComponent("ledger.sqlite").path)
    }

    func watcher(_ running: RunningExecutions, _ store: EventStore) -> KillRequestWatcher {
        KillRequestWatcher(running: running, interval: .seconds(1), clock: .continuous, store: { store })
    }

    /// Waits until `running` drives `ids` (the driving tasks start on their own schedule).
    func driving(_ running: RunningExecutions, _ ids: Set<String>) async {
        while !ids.isSubset(of: Set(running.ids)) { await Task.yield() }
    }

    @Test("one check kills the requested executions this engine drives, with who asked, and no other")
    func killsOnlyTheRequested() async throws {
        let store = try store()
        let running = RunningExecutions()
        let a = KillNoteProbe()
        let b = KillNoteProbe()
        let first = a.hold("exec-a", on: running)
        let second = b.hold("exec-b", on: running)
        await driving(running, ["exec-a", "exec-b"])
        try await ExecutionControl.requestKill("exec-a", by: "carol", in: store)
        let watcher = watcher(running, store)
        #expect(try watcher.check() == ["exec-a"])
        await first.value
        #expect(a.requestedBy == "carol")
        #expect(running.ids == ["exec-b"])
        // A request is read once: the next check reads nothing new and kills nothing else.
        #expect(try watcher.check().isEmpty)
        running.kill("exec-b", by: nil)
        await second.value
    }

    @Test("a request recorded before its execution is driven here is delivered once it is")
    func deliversALateDriver() async throws {
        let store = try store()
        let running = RunningExecutions()
        try await ExecutionControl.requestKill("exec-c", by: "dave", in: store)
        let watcher = watcher(running, store)
        #expect(try watcher.check().isEmpty)
        let probe = KillNoteProbe()
        let task = probe.hold("exec-c", on: running)
        await driving(running, ["exec-c"])
        #expect(try watcher.check() == ["exec-c"])
        await task.value
        #expect(probe.requestedBy == "dave")
    }

    @Test("a request is delivered once; a second request stops the finally the first one started")
    func secondRequestStopsTheFinally() async throws {
        let store = try store()
        let running = RunningExecutions()
        let steps = FinallyProbe()
        let driven = Task {
            try await running.drive("exec-e") {
                await Gate.shared.untilCancelled()
                return try await KillNote.afterKill {
                    steps.note("finally started")
                    await Gate.shared.untilCancelled()
                    steps.note(Task.isCancelled ? "finally stopped" : "finally ended")
                    try Task.checkCancellation()
                }
            }
        }
        await driving(running, ["exec-e"])
        let watcher = watcher(running, store)
        try await ExecutionControl.requestKill("exec-e", by: "carol", in: store)
        #expect(try watcher.check() == ["exec-e"])
        while !steps.seen.contains("finally started") { await Task.yield() }
        // The first request is not delivered again: the finally goes on.
        #expect(try watcher.check().isEmpty)
        #expect(steps.seen == ["finally started"])
        try await ExecutionControl.requestKill("exec-e", by: "dave", in: store)
        #expect(try watcher.check() == ["exec-e"])
        await #expect(throws: CancellationError.self) { try await driven.value }
        #expect(steps.seen == ["finally started", "finally stopped"])
    }

    @Test("kill requests live in control streams, which the execution summary skips")
    func controlStreamsAreNotExecutions() async throws {
        let store = try store()
        try await ExecutionControl.requestKill("exec-d", by: "erin", in: store)
        #expect(try store.streams() == ["control/exec-d"])
        #expect(try store.foldFromLog(ExecutionSummaryProjection.self).isEmpty)
        let event = try #require(try store.events(in: "control/exec-d").first)
        #expect(EventDescription(event).summary == "kill of exec-d requested by erin")
    }
}

/// Holds an execution driven until it is cancelled, and keeps who killed it.
final class KillNoteProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var name: String?

    var requestedBy: String? { lock.withLock { name } }

    func hold(_ id: String, on running: RunningExecutions) -> Task<Void, Never> {
        Task {
            _ = try? await running.drive(id) { [self] in
                await Gate.shared.untilCancelled()
                lock.withLock { name = KillNote.current?.requestedBy }
            }
        }
    }
}

/// Suspends until the calling task is cancelled, without a timer.
actor Gate {
    static let shared = Gate()
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    nonisolated func untilCancelled() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await wait(id)
        } onCancel: {
            Task { await self.release(id) }
        }
    }

    private func wait(_ id: UUID) async {
        if Task.isCancelled { return }
        await withCheckedContinuation { waiters[id] = $0 }
    }

    private func release(_ id: UUID) {
        waiters.removeValue(forKey: id)?.resume()
    }
}

/// What a driven body did, in order.
final class FinallyProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [String] = []

    func note(_ step: String) { lock.withLock { steps.append(step) } }

    var seen: [String] { lock.withLock { steps } }
}
