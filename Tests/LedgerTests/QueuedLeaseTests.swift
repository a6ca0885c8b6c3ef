import Foundation
import Synchronization
import Testing

@testable import Ledger

/// A ledger clock the test moves by hand.
final class ManualLedgerClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_000))

    var read: @Sendable () -> Date { { [self] in now.withLock { $0 } } }

    func advance(by seconds: Double) {
        now.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// The `leases` row of `stream`: its token, last heartbeat and whether it was released.
private func leaseRow(_ store: EventStore, _ stream: String) throws -> (token: Int64, heartbeat: Double, released: Bool)? {
    try store.withWriter { (connection) throws(LedgerError) -> (Int64, Double, Bool)? in
        let query = try connection.statement("SELECT token, heartbeat_at, released FROM leases WHERE stream = ?")
        query.bind(1, stream)
        defer { query.reset() }
        guard try query.step() else { return nil }
        return (query.int64(0), query.double(1), query.int64(2) != 0)
    }
}

@Suite("Leases through the writer thread: taken, renewed and given up in group transactions")
struct QueuedLeaseTests {
    @Test("leases taken while a commit is in flight share the next transaction with the appends queued beside them")
    func acquisitionsShareATransaction() async throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        let gate = try WriterGate(store)
        defer { gate.open() }
        let acquisitions = (0..<50).map { index in
            Task { try await store.acquireLease("exec-\(index)", owner: "test") }
        }
        // The tasks queue their writes on their own; wait (without a clock) until all fifty are queued.
        while store.writerStatistics.queued < 50 { await Task.yield() }
        let appends = try (0..<50).map { index in
            try store.enqueueAppend([try event("Step")], to: "exec-\(index)", expectedVersion: .noStream)
        }
        gate.open()
        _ = try await gate.pending.result()
        var tokens: [Int64] = []
        for acquisition in acquisitions {
            guard case .acquired(let token) = try await acquisition.value else {
                Issue.record("a lease nobody held was refused")
                return
            }
            tokens.append(token)
        }
        for append in appends {
            #expect(try await append.result().events.map(\.version) == [1])
        }
        #expect(tokens.allSatisfy { $0 == 1 })
        #expect(store.writerStatistics.transactions == 2, "the gate's transaction, then one for 50 leases and 50 appends")
        #expect(store.writerStatistics.events == 51)
        for index in 0..<50 {
            #expect(try leaseRow(store, "exec-\(index)")?.released == false)
        }
    }

    @Test("a lease held elsewhere is refused through the queue too, naming its holder")
    func heldLeaseIsRefused() async throws {
        let folder = try TemporaryFolder()
        let clock = ManualLedgerClock()
        let store = try EventStore(path: folder.path("l.ledger"), options: .init(clock: clock.read))
        // A live holder on another host, its heartbeat 9 s before the ledger's clock (the TTL is 10 s): never
        // taken over before its heartbeat is older than the TTL.
        try store.withWriter { (connection) throws(LedgerError) in
            try connection.execute(
                """
                INSERT INTO leases(stream, token, owner, pid, host, heartbeat_at, released)
                VALUES ('exec-a', 7, 'serve', 4242, 'elsewhere.example', \(clock.read().timeIntervalSince1970 - 9), 0)
                """)
        }
        guard case .heldBy(let holder) = try await store.acquireLease("exec-a", owner: "test") else {
            Issue.record("a live holder's lease was taken")
            return
        }
        #expect(holder.owner == "serve" && holder.host == "elsewhere.example" && holder.token == 7)
        #expect(try await store.heartbeatLeases(coveredWithin: .zero) == [], "nothing held, nothing renewed")
        clock.advance(by: 2)
        guard case .acquired(let token) = try await store.acquireLease("exec-a", owner: "test") else {
            Issue.record("a lease whose heartbeat is 11 s old was not taken over")
            return
        }
        #expect(token == 8)
    }

    @Test("one heartbeat renews every held lease in one transaction; beats within the covered span write nothing")
    func heartbeatsRenewTogether() async throws {
        let folder = try TemporaryFolder()
        let clock = ManualLedgerClock()
        let store = try EventStore(path: folder.path("l.ledger"), options: .init(clock: clock.read))
        var tokens: [String: Int64] = [:]
        for stream in ["a", "b", "c"] {
            guard case .acquired(let token) = try await store.acquireLease(stream, owner: "test") else {
                Issue.record("lease \(stream) refused")
                return
            }
            tokens[stream] = token
        }
        let afterAcquiring = store.writerStatistics.transactions

        clock.advance(by: 0.5)
        #expect(try await store.heartbeatLeases(coveredWithin: .seconds(1)) == [])
        #expect(store.writerStatistics.transactions == afterAcquiring + 1)
        for stream in ["a", "b", "c"] {
            #expect(try leaseRow(store, stream)?.heartbeat == 1_000.5)
        }

        clock.advance(by: 0.5)
        #expect(try await store.heartbeatLeases(coveredWithin: .seconds(1)) == [])
        #expect(store.writerStatistics.transactions == afterAcquiring + 1, "within a second of the last renewal")

        // Another writer takes lease b over (the same process, so at once): the next renewal finds it lost.
        let takeOver: () throws -> LeaseOutcome = { try store.acquireLease("b", owner: "other") }
        guard case .acquired(let newToken) = try takeOver() else {
            Issue.record("takeover refused")
            return
        }
        #expect(newToken == tokens["b"]! + 1)
        clock.advance(by: 1)
        #expect(try await store.heartbeatLeases(coveredWithin: .seconds(1)) == ["b"])
        #expect(try leaseRow(store, "a")?.heartbeat == 1_002)
        #expect(try leaseRow(store, "b")?.heartbeat == 1_001, "the other writer's heartbeat, untouched")

        try await store.releaseLease("a", token: tokens["a"]!)
        clock.advance(by: 2)
        #expect(try await store.heartbeatLeases(coveredWithin: .seconds(1)) == [], "b is renewed no more")
        #expect(try leaseRow(store, "a").map { ($0.released, $0.heartbeat) } ?? (false, 0) == (true, 1_002))
        #expect(try leaseRow(store, "c")?.heartbeat == 1_004)
        #expect(try leaseRow(store, "b")?.heartbeat == 1_001)
    }

    @Test("heartbeats during a renewal in flight join it instead of queuing another")
    func concurrentBeatsJoin() {
        let leases = HeldLeases()
        leases.hold("a", token: 1)
        leases.hold("b", token: 4)
        let now = Date(timeIntervalSince1970: 5)
        var made = 0
        let make: ([String: Int64]) -> PendingWrite<Set<String>> = { _ in
            made += 1
            return PendingWrite { _, _ in [] }
        }
        let first = leases.renewal(now: now, coveredWithin: 0, make: make)
        let second = leases.renewal(now: now.addingTimeInterval(3), coveredWithin: 0, make: make)
        #expect(first?.started == true && second?.started == false)
        #expect(first.map { ObjectIdentifier($0.write) } == second.map { ObjectIdentifier($0.write) })
        #expect(first?.leases == ["a": 1, "b": 4])
        #expect(made == 1)
        leases.finish(first!.leases, lost: ["b"])
        let third = leases.renewal(now: now.addingTimeInterval(3), coveredWithin: 0, make: make)
        #expect(third?.started == true && third?.leases == ["a": 1])
        leases.drop("a", token: 2)
        leases.finish(third!.leases, lost: [])
        #expect(leases.renewal(now: now.addingTimeInterval(4), coveredWithin: 0, make: make)?.leases == ["a": 1],
            "a drop with another token leaves the lease held")
    }
}
