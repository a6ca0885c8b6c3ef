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

    @Test("two processes on one host taking calls at once get no more than the allowance between them")
    func twoOSProcessesShareTheAllowance() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("shared.ledger")
        _ = try EventStore(path: path)
        let go = folder.path("go")
        // A window of an hour: however slow the machine, every call of the test counts.
        let workers = try (1...2).map { _ in
            let process = Process()
            process.executableURL = try ConcurrentProcessesTests.benchTool()
            process.arguments = ["take", path, "logging projects/p", "5", "3600", "10", go]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            return (process, output)
        }
        try Data().write(to: URL(fileURLWithPath: go))
        var granted = 0
        for (process, output) in workers {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let words = text.split(separator: " ")
            #expect(words.first == "take")
            granted += words.count > 1 ? Int(words[1]) ?? 0 : 0
        }
        #expect(granted == 5, "twenty calls asked for by two processes, an allowance of five")
        #expect(rawInteger(path, "SELECT count(*) FROM request_budget") == 5)
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
