import Clocks
import Foundation
import Synchronization
import Testing

@testable import GoogleCloud

/// An allowance other processes would share, kept here in memory on the test's clock.
private final class MemoryAllowance: SharedRequestAllowance {
    let clock: Waits
    private let taken = Mutex<[Duration]>([])
    let failing: Bool

    init(clock: Waits, failing: Bool = false) {
        self.clock = clock
        self.failing = failing
    }

    func take(_ scope: String, perMinute: Int) async throws -> Duration? {
        if failing { throw URLError(.cannotConnectToHost) }
        let now = clock.now.offset
        return taken.withLock { taken in
            taken.removeAll { now - $0 >= .seconds(60) }
            if taken.count >= perMinute { return taken[taken.count - perMinute] + .seconds(60) - now }
            taken.append(now)
            return nil
        }
    }
}

@Suite("A request budget draws from a shared allowance too")
struct RequestBudgetTests {
    @Test("two budgets on one shared allowance keep to it together")
    func twoBudgetsShare() async throws {
        let clock = Waits()
        let allowance = MemoryAllowance(clock: clock)
        let budgets = (0..<2).map { _ in
            RequestBudget(perMinute: 3, clock: clock.clock, scope: "logging projects/p", shared: allowance)
        }
        var times: [Duration] = []
        for index in 0..<9 {
            try await budgets[index % 2].acquire()
            times.append(clock.now.offset)
        }
        #expect(
            times == [
                .zero, .zero, .zero, .seconds(60), .seconds(60), .seconds(60), .seconds(120), .seconds(120),
                .seconds(120),
            ])
        #expect(await budgets[0].used + budgets[1].used == 3)
    }

    @Test("while the shared allowance cannot answer, a budget keeps to its own count, and says why")
    func failingAllowanceLeavesTheLocalCount() async throws {
        let clock = Waits()
        let budget = RequestBudget(
            perMinute: 2, clock: clock.clock, scope: "s", shared: MemoryAllowance(clock: clock, failing: true))
        for _ in 0..<3 { try await budget.acquire() }
        #expect(clock.recorded == [.seconds(60)])
        #expect(await budget.sharedProblem != nil)
    }
}
