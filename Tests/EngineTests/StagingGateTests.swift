import Synchronization
import Testing

@testable import Engine

@Suite("Staging gate")
struct StagingGateTests {
    /// A place held until `open()`: the body of a `withPlace` that stays inside the gate.
    final class Hold: Sendable {
        private let stream: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation

        init() {
            (stream, continuation) = AsyncStream.makeStream()
        }

        func wait() async {
            for await _ in stream { return }
        }

        func open() {
            continuation.yield()
            continuation.finish()
        }
    }

    /// The names of the bodies that got in, in order.
    final class Entries: Sendable {
        private let names = Mutex<[String]>([])
        func add(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }
    }

    /// Yields until `condition` holds: the gate's state changes on other tasks, with no timer of its own.
    func until(_ condition: () -> Bool) async {
        while !condition() { await Task.yield() }
    }

    @Test("lets `limit` attempts in, queues the rest first come first served, and a cancelled waiter leaves at once")
    func limitsOrderAndCancellation() async throws {
        let gate = StagingGate(limit: 2)
        let entered = Entries()
        func enter(_ name: String, holding hold: Hold) -> Task<Void, any Error> {
            Task { [gate] in
                try await gate.withPlace {
                    entered.add(name)
                    await hold.wait()
                }
            }
        }
        let holds = (0..<5).map { _ in Hold() }
        let first = enter("a", holding: holds[0])
        let second = enter("b", holding: holds[1])
        await until { gate.occupancy.inside == 2 }

        let cancelled = enter("c", holding: holds[2])
        await until { gate.occupancy.waiting == 1 }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(gate.occupancy.inside == 2 && gate.occupancy.waiting == 0)

        let fourth = enter("d", holding: holds[3])
        await until { gate.occupancy.waiting == 1 }
        let fifth = enter("e", holding: holds[4])
        await until { gate.occupancy.waiting == 2 }
        #expect(entered.all == ["a", "b"] || entered.all == ["b", "a"])

        holds[0].open()
        try await first.value
        await until { entered.all.count == 3 }
        #expect(entered.all.last == "d")
        #expect(gate.occupancy.inside == 2 && gate.occupancy.waiting == 1)

        holds[1].open()
        try await second.value
        await until { entered.all.count == 4 }
        #expect(entered.all.last == "e")

        holds[3].open()
        holds[4].open()
        try await fourth.value
        try await fifth.value
        #expect(gate.occupancy.inside == 0 && gate.occupancy.waiting == 0)
    }

    @Test("a place is given back when the body throws")
    func freedOnError() async throws {
        struct Refused: Error {}
        let gate = StagingGate(limit: 1)
        await #expect(throws: Refused.self) { try await gate.withPlace { () throws -> Int in throw Refused() } }
        #expect(try await gate.withPlace { 7 } == 7)
        #expect(gate.occupancy.inside == 0)
    }
}
