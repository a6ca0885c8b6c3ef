import Foundation
import Testing

@testable import Ledger

@Suite("Request allowances kept in the ledger file, shared by the processes on it")
struct LedgerRequestBudgetTests {
    @Test("two processes on one file taking calls at once get no more than the allowance between them")
    func twoProcessesShareTheAllowance() async throws {
        let folder = try TemporaryFolder()
        let clock = ManualLedgerClock()
        let path = folder.path("l.ledger")
        // Two stores, two connections to the file: their writes are serialised as two processes' are.
        let stores = try ["a", "b"].map { try EventStore(path: path, options: .init(clock: clock.read, host: $0)) }
        let answers = try await withThrowingTaskGroup(of: Duration?.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await stores[index % 2].takeRequest(from: "logging projects/p", perMinute: 5)
                }
            }
            var answers: [Duration?] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        #expect(answers.filter { $0 == nil }.count == 5)
        #expect(answers.compactMap { $0 }.allSatisfy { $0 == .seconds(60) }, "all five were taken at the same time")
        #expect(rawInteger(path, "SELECT count(*) FROM request_budget") == 5)
        // Another allowance is counted apart.
        #expect(try await stores[1].takeRequest(from: "logging projects/q", perMinute: 5) == nil)

        clock.advance(by: 59.5)
        #expect(try await stores[0].takeRequest(from: "logging projects/p", perMinute: 5) == .milliseconds(500))
        clock.advance(by: 0.5)
        for index in 0..<5 {
            #expect(try await stores[index % 2].takeRequest(from: "logging projects/p", perMinute: 5) == nil)
        }
        #expect(try await stores[1].takeRequest(from: "logging projects/p", perMinute: 5) == .seconds(60))
        #expect(
            rawInteger(path, "SELECT count(*) FROM request_budget WHERE scope = 'logging projects/p'") == 5,
            "calls that no longer count are forgotten")
    }

    @Test("a window other than a minute, and allowances that make no sense, refused")
    func windowsAndBadAllowances() async throws {
        let folder = try TemporaryFolder()
        let clock = ManualLedgerClock()
        let store = try EventStore(path: folder.path("l.ledger"), options: .init(clock: clock.read))
        #expect(try await store.takeRequest(from: "s", perMinute: 1, window: .seconds(2)) == nil)
        clock.advance(by: 1.25)
        #expect(try await store.takeRequest(from: "s", perMinute: 1, window: .seconds(2)) == .milliseconds(750))
        await #expect(throws: LedgerError.self) { try await store.takeRequest(from: "", perMinute: 1) }
        await #expect(throws: LedgerError.self) { try await store.takeRequest(from: "s", perMinute: 0) }
        await #expect(throws: LedgerError.self) { try await store.takeRequest(from: "s", perMinute: 1, window: .zero) }
    }
}
