import Engine
import Foundation
import Ledger
import Templates
import Testing

@Suite("Decision replay", .serialized)
struct DecisionReplayTests {
    @Test("recorded runs replay with every decision as recorded")
    func recordedRunsReplay() throws {
        let cli = try CLI()
        for flow in ["multi_task.yaml", "foreach.yaml", "failing.yaml"] {
            let (_, report) = try cli.runLocal(CLI.sample(flow))
            let id = try #require(report?.executionId)
            let check = try cli.run(["replay", id, "--check", "--secrets-file", CLI.sample("local.env")])
            #expect(check.status == 0, "\(flow): \(check.stdout) \(check.stderr)")
            #expect(check.stdout.contains("all as recorded"))
        }
    }

    @Test("a changed engine rule makes the replay fail at the first differing decision")
    func changedRuleIsCaught() async throws {
        let cli = try CLI()
        let emulator = try Emulator(cli, arguments: ["--faults", "job:preempt"])
        let result = try cli.run(["run", CLI.fixture("spot.yaml"), "--endpoint", emulator.endpoint, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let id = try #require(try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)).executionId)
        let store = try EventStore(path: cli.ledger)
        // The rule the run used: two SPOT preemptions before falling back to STANDARD.
        let same = try await DecisionReplay.check(id, in: store, secrets: SecretStore(), environment: [:])
        #expect(same.taskRuns == 1)
        // A changed rule: fall back to STANDARD after the first preemption.
        let error = await #expect(throws: DecisionReplay.Divergence.self) {
            try await DecisionReplay.check(
                id, in: store, secrets: SecretStore(), environment: [:], spotAttemptsBeforeStandard: 0)
        }
        #expect(error?.taskRunId == "on_spot")
        #expect(error?.recorded?.contains("AttemptStarted #2") == true)
        #expect(error?.recorded?.hasSuffix("SPOT") == true)
        #expect(error?.replayed?.hasSuffix("STANDARD") == true)
    }
}

@Suite("Recorded histories replay")
struct HistoryCorpusTests {
    /// Histories exported from real runs of the samples on LocalCloud (`Fixtures/histories/`). A change to the
    /// engine that alters a decision on any of them fails here. Their output files are not on this machine: the
    /// replay stands in for them.
    @Test(
        "every recorded history in the corpus replays with the same decisions",
        arguments: [
            "gcp_batch_runner", "multi_task", "foreach", "failing", "retry_outputs",
        ])
    func corpus(_ name: String) throws {
        let cli = try CLI()
        let imported = try cli.run(["import", CLI.fixture("histories/\(name).ndjson")])
        #expect(imported.status == 0, "\(imported.stderr)")
        let id = try #require(try cli.run(["executions"]).stdout.split(separator: " ").first.map(String.init))
        let check = try cli.run(["replay", id, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("all as recorded"))
    }
}
