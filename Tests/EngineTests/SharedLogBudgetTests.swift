import Clocks
import Foundation
import GoogleCloud
import Ledger
import Testing

@testable import Engine

/// Two processes' log budgets on one ledger file, on one stepping clock that the ledgers read too: each process
/// keeps its own count, and the ledger keeps the one they share.
private struct TwoProcesses {
    let clock = SteppingClock()
    let folder: URL
    let budgets: [RequestBudget]

    init(perMinute: Int, shared: Bool) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("budget-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let clock = clock
        let start = clock.now
        let date: @Sendable () -> Date = {
            let elapsed = start.duration(to: clock.now).components
            return Date(timeIntervalSince1970: 1_000 + Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
        }
        let path = folder.appendingPathComponent("l.ledger").path
        budgets = try ["a.example", "b.example"].map { host in
            let store = try EventStore(path: path, options: .init(clock: date, host: host))
            return RequestBudget(
                perMinute: perMinute, clock: AnyClock(clock), scope: "logging entries.list projects/p",
                shared: shared ? LedgerRequestAllowance(store: store) : nil)
        }
    }

    /// Seconds from the start at which each of `count` calls was granted, the processes taking turns.
    func grants(_ count: Int) async throws -> [Double] {
        let start = clock.now
        var times: [Double] = []
        for index in 0..<count {
            try await budgets[index % budgets.count].acquire()
            let elapsed = start.duration(to: clock.now).components
            times.append(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
        }
        return times
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

@Suite("Processes on one ledger share the Logging allowance")
struct SharedLogBudgetTests {
    @Test("two processes drawing from the ledger's allowance never exceed it within a minute")
    func sharedAllowanceHolds() async throws {
        let processes = try TwoProcesses(perMinute: 5, shared: true)
        defer { processes.remove() }
        let times = try await processes.grants(20)
        for index in 0..<(times.count - 5) {
            #expect(times[index + 5] - times[index] >= 60, "six calls within a minute: \(times)")
        }
        #expect(times.prefix(5).allSatisfy { $0 == 0 })
        #expect(times.last! < 4 * 60, "the allowance is spent, not wasted: \(times)")
        for budget in processes.budgets {
            #expect(await budget.sharedProblem == nil)
        }
    }

    @Test("without the ledger's allowance, two processes each spend a whole minute's allowance")
    func separateAllowancesDouble() async throws {
        let processes = try TwoProcesses(perMinute: 5, shared: false)
        defer { processes.remove() }
        let times = try await processes.grants(10)
        #expect(times.allSatisfy { $0 == 0 }, "ten calls at once, twice the allowance")
    }
}
