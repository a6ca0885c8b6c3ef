import Foundation
import Synchronization
import Testing

@testable import Ledger

/// Holds the ledger's writer thread inside a transaction of its own until `open()`, so that the appends queued
/// meanwhile are known to share the next transaction (no timing involved).
final class WriterGate: Sendable {
    private let entered = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    private let opened = Mutex(false)
    let pending: PendingAppend

    /// Queues an append to stream `gate` whose precondition blocks the writer thread, and returns once the writer
    /// is blocked in it: the gate's transaction holds that append alone.
    init(_ store: EventStore) throws {
        let entered = entered
        let released = released
        pending = try store.enqueueAppend(
            [try event("GateHeld")], to: "gate",
            precondition: AppendPrecondition { _ throws(LedgerError) in
                entered.signal()
                released.wait()
            })
        entered.wait()
    }

    /// Lets the writer go on; safe to call more than once.
    func open() {
        let first = opened.withLock { opened in
            defer { opened = true }
            return !opened
        }
        if first { released.signal() }
    }
}

@Suite("Group commit: async appends through the writer thread")
struct GroupCommitTests {
    @Test("a hundred streams appending at once all land, each in order, on a chain that verifies")
    func concurrentAppenders() async throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        let streams = 100
        let appendsPerStream = 10
        let versions = try await withThrowingTaskGroup(of: (String, [Int64]).self) { group in
            for index in 0..<streams {
                group.addTask {
                    let stream = "exec-\(index)"
                    var versions: [Int64] = []
                    for step in 0..<appendsPerStream {
                        let result = try await store.append(
                            [try event("Step", ["stream": index, "step": step])], to: stream,
                            expectedVersion: step == 0 ? .noStream : .exactly(Int64(step)))
                        versions.append(contentsOf: result.events.map(\.version))
                    }
                    return (stream, versions)
                }
            }
            var all: [String: [Int64]] = [:]
            for try await (stream, versions) in group { all[stream] = versions }
            return all
        }
        let expected = Array(1...Int64(appendsPerStream))
        #expect(versions.count == streams)
        #expect(versions.values.allSatisfy { $0 == expected })
        for index in 0..<streams {
            let events = try store.events(in: "exec-\(index)")
            #expect(events.map(\.version) == expected)
            #expect(try events.map { try $0.decode([String: Int].self)["step"] } == Array(0..<appendsPerStream))
        }
        let report = try store.verify()
        #expect(report.firstProblem == nil)
        #expect(report.eventsChecked == Int64(streams * appendsPerStream))
        #expect(report.streamsChecked == streams)
        let statistics = store.writerStatistics
        #expect(statistics.appends == streams * appendsPerStream)
        #expect(statistics.events == streams * appendsPerStream)
        #expect(statistics.transactions >= 1 && statistics.transactions <= statistics.appends)
        #expect(statistics.queued == 0)
    }

    @Test("appends queued during a commit share the next transaction: more events than transactions")
    func appendsShareATransaction() async throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        let gate = try WriterGate(store)
        defer { gate.open() }
        let pending = try (0..<99).map { index in
            try store.enqueueAppend([try event("Step", ["n": index])], to: "exec-\(index)", expectedVersion: .noStream)
        }
        #expect(store.writerStatistics.queued == 99)
        gate.open()
        _ = try await gate.pending.result()
        for append in pending {
            #expect(try await append.result().events.map(\.version) == [1])
        }
        let statistics = store.writerStatistics
        #expect(statistics.transactions == 2, "the gate's transaction, then one for the 99 queued behind it")
        #expect(statistics.events == 100)
        #expect(Double(statistics.events) / Double(statistics.transactions) > 1)
        #expect(try store.verify().firstProblem == nil)
    }

    @Test("a version conflict in a group fails that append alone; the others commit")
    func conflictFailsOnlyItsAppend() async throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        let gate = try WriterGate(store)
        defer { gate.open() }
        let first = try store.enqueueAppend([try event("A")], to: "s1", expectedVersion: .noStream)
        let other = try store.enqueueAppend([try event("B"), try event("C")], to: "s2", expectedVersion: .noStream)
        let stale = try store.enqueueAppend([try event("Stale")], to: "s1", expectedVersion: .exactly(5))
        let next = try store.enqueueAppend([try event("D")], to: "s1", expectedVersion: .exactly(1))
        let late = try store.enqueueAppend([try event("Late")], to: "s2", expectedVersion: .noStream)
        gate.open()

        #expect(try await first.result().events.map(\.version) == [1])
        #expect(try await other.result().events.map(\.version) == [1, 2])
        await #expect(throws: LedgerError.versionConflict(stream: "s1", expected: .exactly(5), actual: 1)) {
            try await stale.result()
        }
        #expect(try await next.result().events.map(\.version) == [2])
        await #expect(throws: LedgerError.versionConflict(stream: "s2", expected: .noStream, actual: 2)) {
            try await late.result()
        }
        #expect(try store.events(in: "s1").map(\.type) == ["A", "D"])
        #expect(try store.events(in: "s2").map(\.type) == ["B", "C"])
        let statistics = store.writerStatistics
        #expect(statistics.transactions == 2, "all five appends were in one group transaction")
        #expect(statistics.appends == 4)
        #expect(try store.verify().firstProblem == nil)
    }

    @Test("a lost lease in a group fails that append alone; the others commit")
    func fencingFailsOnlyItsAppend() async throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        guard case .acquired(let lostToken) = try await store.acquireLease("exec-a", owner: "first"),
            case .acquired(let currentToken) = try await store.acquireLease("exec-a", owner: "second"),
            case .acquired(let otherToken) = try await store.acquireLease("exec-b", owner: "second")
        else {
            Issue.record("a lease was not acquired")
            return
        }
        #expect(lostToken != currentToken)
        let leaseTransactions = store.writerStatistics.transactions
        let gate = try WriterGate(store)
        defer { gate.open() }
        let fenced = try store.enqueueAppend(
            [try event("TooLate")], to: "exec-a", precondition: EventStore.fence("exec-a", token: lostToken))
        let holder = try store.enqueueAppend(
            [try event("Current")], to: "exec-a", precondition: EventStore.fence("exec-a", token: currentToken))
        let other = try store.enqueueAppend(
            [try event("Other")], to: "exec-b", precondition: EventStore.fence("exec-b", token: otherToken))
        gate.open()

        await #expect(throws: LedgerError.leaseLost(stream: "exec-a")) { try await fenced.result() }
        #expect(try await holder.result().events.map(\.type) == ["Current"])
        #expect(try await other.result().events.map(\.type) == ["Other"])
        #expect(try store.events(in: "exec-a").map(\.type) == ["Current"])
        #expect(store.writerStatistics.transactions == leaseTransactions + 2)
        #expect(try store.verify().firstProblem == nil)
    }

    @Test("an append too big for the disk fails alone; the appends grouped with it still commit")
    func diskFullFailsOnlyItsAppend() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        let store = try EventStore(path: path, options: .init(maximumPageCount: 100))
        let gate = try WriterGate(store)
        defer { gate.open() }
        let before = try store.enqueueAppend([try event("Small", ["n": 1])], to: "exec-a")
        let big = try store.enqueueAppend(
            [NewEvent(type: "Big", payload: Data(repeating: 0x41, count: 1_000_000))], to: "exec-b")
        let after = try store.enqueueAppend([try event("Small", ["n": 2])], to: "exec-a")
        gate.open()

        #expect(try await before.result().events.map(\.version) == [1])
        await #expect(throws: LedgerError.diskFull(path: path)) { try await big.result() }
        #expect(try await after.result().events.map(\.version) == [2])
        #expect(try store.events(in: "exec-a").count == 2)
        #expect(try store.events(in: "exec-b").isEmpty)
        #expect(try store.verify().isValid)
    }

    @Test("appends queued to one stream commit and answer in the order they were queued")
    func resultsInOrderPerStream() async throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        let gate = try WriterGate(store)
        defer { gate.open() }
        var queued: [(stream: String, n: Int, pending: PendingAppend)] = []
        for n in 0..<60 {
            let stream = n % 3 == 0 ? "other" : "main"
            queued.append((stream, n, try store.enqueueAppend([try event("Step", ["n": n])], to: stream)))
        }
        gate.open()
        var versions: [String: [Int64]] = [:]
        var seqs: [Int64] = []
        for (stream, n, pending) in queued {
            let result = try await pending.result()
            let row = try #require(result.events.first)
            #expect(try row.decode([String: Int].self) == ["n": n])
            versions[stream, default: []].append(row.version)
            seqs.append(row.seq)
        }
        #expect(versions["main"] == Array(1...40))
        #expect(versions["other"] == Array(1...20))
        #expect(seqs == Array(2...61), "seq follows the queue order (seq 1 is the gate's)")
        #expect(try store.verify().firstProblem == nil)
    }

    @Test("a retried async append with the same idempotency key returns the original rows")
    func idempotentRetry() async throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        let batch = [try event("UploadRequested", ["n": 1])]
        let first = try await store.append(batch, to: "s", idempotencyKey: "upload-1")
        let retry = try await store.append(batch, to: "s", idempotencyKey: "upload-1")
        #expect(!first.replayed)
        #expect(retry.replayed)
        #expect(retry.events == first.events)
        await #expect(throws: LedgerError.idempotencyKeyReused(key: "upload-1", stream: "other")) {
            try await store.append(batch, to: "other", idempotencyKey: "upload-1")
        }
        #expect(try store.lastSeq() == 1)
    }

    @Test("appends still queued when the store goes away are committed, and their callers answered")
    func closingCommitsWhatIsQueued() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        weak var released: EventStore?
        var pending: [PendingAppend] = []
        do {
            let store = try EventStore(path: path)
            released = store
            for n in 0..<20 {
                pending.append(try store.enqueueAppend([try event("Step", ["n": n])], to: "s"))
            }
        }
        #expect(released == nil, "the writer thread must not keep the store alive")
        for (n, append) in pending.enumerated() {
            #expect(try await append.result().events.map(\.version) == [Int64(n + 1)])
        }
        let reopened = try EventStore(path: path)
        #expect(try reopened.events(in: "s").count == 20)
        #expect(reopened.writerStatistics == WriterStatistics())
    }

    @Test("a store opened read-only refuses async appends at once")
    func readOnlyRefuses() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        try await EventStore(path: path).append([try event("A")], to: "s")
        let reader = try EventStore(path: path, options: EventStore.Options(readOnly: true))
        await #expect(throws: LedgerError.readOnly(path: path, detail: "opened read-only")) {
            try await reader.append([try event("B")], to: "s")
        }
        #expect(throws: LedgerError.self) { try reader.enqueueAppend([], to: "s") }
    }
}
