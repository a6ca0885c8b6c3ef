import Foundation
import Testing

/// A flow whose Schedule trigger runs once a year, backfilled over three past years: what serve fires does not
/// depend on today's date (the next yearly time is months away from any test run).
private let yearlyFlow = """
    id: yearly
    namespace: company.team
    inputs:
      - id: greeting
        type: STRING
        defaults: manual
    tasks:
      - id: stamp
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.ee.gcp.runner.Batch
          projectId: local-project
          region: europe-west9
        commands:
          - echo "for {{ trigger.date ?? 'none' }} after {{ trigger.previous ?? 'none' }} {{ inputs.greeting }}"
    triggers:
      - id: newyear
        type: io.kestra.plugin.core.trigger.Schedule
        cron: "0 0 1 1 *"
        inputs:
          greeting: scheduled
        labels:
          origin: schedule
        backfill:
          start: 2021-01-01T00:00:00Z
          end: 2023-12-31T00:00:00Z
    """

@Suite("batchledger serve: Schedule triggers", .serialized)
struct ServeScheduleTests {
    @Test("a backfill runs each past time once, with the trigger's inputs, labels and variables, recorded first")
    func backfill() throws {
        let cli = try CLI()
        let serve = try Serve(cli)
        let saved = serve.yaml("POST", "/api/v1/main/flows", yearlyFlow)
        #expect(saved.status == 200, "\(saved.text)")

        // The scheduler looks every second: wait (generously) for its three executions to exist and end.
        let deadline = ContinuousClock.now + .seconds(300)
        var results: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            let page = serve.call("GET", "/api/v1/main/executions/search?namespace=company.team&flowId=yearly").object
            results = page["results"] as? [[String: Any]] ?? []
            if results.count >= 3 { break }
            usleep(100_000)
        }
        #expect(results.count == 3)
        var lines: [String] = []
        for execution in results {
            let id = try #require(execution["id"] as? String)
            let ended = serve.waitFor(id, ["SUCCESS", "FAILED", "KILLED", "WARNING"])
            #expect((ended["state"] as? [String: Any])?["current"] as? String == "SUCCESS")
            let labels = ended["labels"] as? [[String: Any]] ?? []
            #expect(labels.contains { $0["key"] as? String == "origin" && $0["value"] as? String == "schedule" })
            let logs = serve.call("GET", "/api/v1/main/logs/\(id)").json as? [[String: Any]] ?? []
            lines += logs.compactMap { $0["message"] as? String }.filter { $0.hasPrefix("for ") }
        }
        #expect(
            lines.sorted() == [
                "for 2021-01-01T00:00:00Z after none scheduled",
                "for 2022-01-01T00:00:00Z after 2021-01-01T00:00:00Z scheduled",
                "for 2023-01-01T00:00:00Z after 2022-01-01T00:00:00Z scheduled",
            ])
        serve.stop()

        // The trigger's stream: armed once, each time fired once (before its execution), nothing else.
        let audit = try cli.run(["audit", "--json", "--ledger", cli.ledger])
        let events = audit.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let trigger = events.filter { ($0["execution"] as? String) == "trigger/company.team/yearly/newyear" }
        #expect(
            trigger.compactMap { $0["type"] as? String } == ["TriggerArmed", "TriggerFired", "TriggerFired", "TriggerFired"])
        #expect(try cli.run(["verify", "--ledger", cli.ledger]).status == 0)

        // A new serve on the same ledger fires nothing again.
        let again = try Serve(cli)
        let page = again.call("GET", "/api/v1/main/executions/search?namespace=company.team&flowId=yearly").object
        #expect(page["total"] as? Int == 3)
        again.stop()
    }

    @Test("run runs a flow with triggers once, and says the triggers are ignored there")
    func runIgnoresTriggers() throws {
        let cli = try CLI()
        let flow = cli.folder.appendingPathComponent("yearly.yaml")
        try yearlyFlow.write(to: flow, atomically: true, encoding: .utf8)
        let result = try cli.run(["run", flow.path, "--local", "--ledger", cli.ledger])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("the flow's triggers (newyear) are ignored by run"))
    }
}
