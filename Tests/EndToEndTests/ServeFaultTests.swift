import Foundation
import Testing

@Suite("batchledger serve killed with SIGKILL mid-run", .serialized)
struct ServeFaultTests {
    @Test(
        "100 executions: serve is SIGKILLed while they run and started again; each ends as it would have, one job per attempt, every log line once"
    )
    func sigkillWhileRunning() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        var serve = try Serve(cli, backend: ["--endpoint", emulator.endpoint])
        #expect(serve.yaml("POST", "/api/v1/main/flows", countingFlow(lines: 20)).status == 200)
        var ids: [String] = []
        for _ in 0..<100 {
            let created = serve.call("POST", "/api/v1/main/executions/company.team/counting")
            ids.append(try #require(created.object["id"] as? String, "\(created.text)"))
        }
        // Kill it once half of the jobs exist: some executions are done, some run, some have no job yet.
        let deadline = ContinuousClock.now + .seconds(300)
        while (try emulator.stats()["jobsCreated"] as? Int ?? 0) < 50, ContinuousClock.now < deadline {
            usleep(20_000)
        }
        kill(serve.running.process.processIdentifier, SIGKILL)
        serve.running.process.waitUntilExit()
        #expect(serve.running.process.terminationReason == .uncaughtSignal)

        serve = try Serve(cli, backend: ["--endpoint", emulator.endpoint])
        #expect(serve.running.stdout.contains("resuming"), "\(serve.running.stdout)")
        let expectedLines = (1...20).map { "line \($0)" }
        for id in ids {
            let execution = serve.waitFor(id, ["SUCCESS", "FAILED", "KILLED", "WARNING"])
            #expect((execution["state"] as? [String: Any])?["current"] as? String == "SUCCESS", "\(id)")
            let runs = execution["taskRunList"] as? [[String: Any]] ?? []
            #expect(runs.count == 1 && (runs.first?["attempts"] as? [Any])?.count == 1, "\(id): \(runs)")
            let logs = serve.call("GET", "/api/v1/main/logs/\(id)").json as? [[String: Any]] ?? []
            #expect(logs.compactMap { $0["message"] as? String } == expectedLines, "\(id): every line once, in order")
        }
        #expect(try emulator.stats()["jobsCreated"] as? Int == 100, "one Batch job per attempt")
        // The kill interrupted attempts in flight: the second serve reconciled them with Batch.
        let reconciled = try cli.run(["audit", "--type", "Reconciled", "--json", "--ledger", cli.ledger]).stdout
        #expect(reconciled.split(separator: "\n").count >= 1, "no attempt was in flight when serve was killed")
        serve.stop()
        let verified = try cli.run(["verify", "--ledger", cli.ledger])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
    }
}
