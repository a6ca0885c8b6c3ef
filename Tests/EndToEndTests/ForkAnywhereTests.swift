import Foundation
import Testing

/// `fork --from` a task anywhere in the flow, one ForEach iteration, with new inputs and a newer flow: only what
/// is named runs again (the emulator counts the jobs), everything else is adopted, and the fork says what changed.
@Suite("fork from a nested task, one iteration, new inputs, a newer flow", .serialized)
struct ForkAnywhereTests {
    func jobsCreated(_ emulator: Emulator) throws -> Int {
        try #require(try emulator.stats()["jobsCreated"] as? Int)
    }

    func run(_ cli: CLI, _ emulator: Emulator, _ arguments: [String]) throws -> (CLI.Result, Report?) {
        let result = try cli.run(
            arguments + ["--endpoint", emulator.endpoint, "--secrets-file", CLI.sample("local.env"), "--json"])
        return (result, try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)))
    }

    func eventPayloads(_ cli: CLI, _ id: String, type: String) throws -> [[String: Any]] {
        try cli.run(["audit", "--execution", id, "--type", type, "--json"]).stdout.split(separator: "\n").compactMap {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["payload"] as? [String: Any]
        }
    }

    @Test("fork --from 'task[value]' runs only that iteration: one new job, the other iterations adopted")
    func oneIteration() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let (parentRun, parent) = try run(cli, emulator, ["run", CLI.sample("foreach.yaml")])
        #expect(parentRun.status == 0, "\(parentRun.stderr)")
        let parentId = try #require(parent?.executionId)
        let before = try jobsCreated(emulator)
        let (forked, child) = try run(cli, emulator, ["fork", parentId, "--from", "probe[europe-west9]"])
        #expect(forked.status == 0, "\(forked.stderr)")
        #expect(try jobsCreated(emulator) == before + 1)
        let tasks = try #require(child?.tasks)
        #expect(tasks.count == 3 && tasks.allSatisfy { $0.state == "SUCCEEDED" })
        let childId = try #require(child?.executionId)
        let adopted = try eventPayloads(cli, childId, type: "TaskAdopted").compactMap { $0["taskRunId"] as? String }
        #expect(adopted.sorted() == ["probe[0]", "probe[2]"])
        let check = try cli.run(["replay", childId, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")

        let missing = try cli.run(["fork", parentId, "--from", "probe[mars-north1]", "--endpoint", emulator.endpoint])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no run of probe with value mars-north1"), "\(missing.stderr)")
        #expect(missing.stderr.contains("europe-west9"), "\(missing.stderr)")
    }

    @Test("fork --from a task inside a Parallel runs it and what follows the Parallel, not the other branch")
    func nestedInParallel() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let (parentRun, parent) = try run(cli, emulator, ["run", CLI.fixture("parallel_then.yaml")])
        #expect(parentRun.status == 0, "\(parentRun.stderr)")
        let parentId = try #require(parent?.executionId)
        let before = try jobsCreated(emulator)
        let (forked, child) = try run(cli, emulator, ["fork", parentId, "--from", "right"])
        #expect(forked.status == 0, "\(forked.stderr)")
        #expect(try jobsCreated(emulator) == before + 2)
        let childId = try #require(child?.executionId)
        let adopted = try eventPayloads(cli, childId, type: "TaskAdopted").compactMap { $0["taskRunId"] as? String }
        #expect(adopted == ["left"])
    }

    @Test("fork --input and --flow: the new values and the newer flow run, and both executions say what changed")
    func newInputsAndFlow() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let (parentRun, parent) = try run(cli, emulator, ["run", CLI.fixture("parallel_then.yaml")])
        #expect(parentRun.status == 0, "\(parentRun.stderr)")
        let parentId = try #require(parent?.executionId)
        let (forked, child) = try run(
            cli, emulator, ["fork", parentId, "--from", "right", "--input", "greeting=bonjour"])
        #expect(forked.status == 0, "\(forked.stderr)")
        let last = try #require(child?.tasks.first { $0.id == "last" })
        #expect(last.vars["after"]?.text == "bonjour")
        let childId = try #require(child?.executionId)
        let started = try #require(try eventPayloads(cli, childId, type: "ExecutionStarted").first)
        let changes = try #require(started["forkChanges"] as? [String: Any])
        #expect(changes["inputsChanged"] as? [String] == ["greeting"])
        #expect(changes["from"] as? String == "right")
        #expect(changes["parentFlowSHA256"] == nil)

        let newer = cli.folder.appendingPathComponent("parallel_then_v2.yaml")
        let text = try String(contentsOfFile: CLI.fixture("parallel_then.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "\"after\":\"{{", with: "\"after\":\"v2 {{")
        try Data(text.utf8).write(to: newer)
        let (second, grandchild) = try run(cli, emulator, ["fork", childId, "--from", "last", "--flow", newer.path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(grandchild?.tasks.first { $0.id == "last" }?.vars["after"]?.text == "v2 bonjour")
        let grandchildId = try #require(grandchild?.executionId)
        let secondStarted = try #require(try eventPayloads(cli, grandchildId, type: "ExecutionStarted").first)
        let secondChanges = try #require(secondStarted["forkChanges"] as? [String: Any])
        #expect(secondChanges["parentFlowSHA256"] as? String == started["flowSHA256"] as? String)
        #expect(secondChanges["inputsChanged"] as? [String] == [])
        let forkedEvents = try eventPayloads(cli, childId, type: "ExecutionForked")
        #expect(forkedEvents.first?["flowSHA256"] as? String == secondStarted["flowSHA256"] as? String)

        let other = try cli.run(
            [
                "fork", parentId, "--from", "right", "--flow", CLI.sample("foreach.yaml"), "--endpoint",
                emulator.endpoint,
            ])
        #expect(other.status == 2)
        #expect(other.stderr.contains("give a revision of the same flow"), "\(other.stderr)")
        let badInput = try cli.run(
            ["fork", parentId, "--from", "right", "--input", "nope=1", "--endpoint", emulator.endpoint])
        #expect(badInput.status == 2)
        #expect(badInput.stderr.contains("the flow has no input named"), "\(badInput.stderr)")
    }
}

@Suite("serve: replay from a nested task run, with a revision and with new inputs", .serialized)
struct ServeReplayTests {
    func vars(_ cli: CLI, _ id: String, task: String) throws -> [String: Any] {
        let shown = try cli.run(["show", id, "--json", "--ledger", cli.ledger]).stdout
        let object = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any]
        let tasks = object?["tasks"] as? [[String: Any]] ?? []
        return tasks.first { $0["id"] as? String == task }?["vars"] as? [String: Any] ?? [:]
    }

    @Test("replay-with-inputs and replay?revision= run the new values and the new revision from the task run")
    func replays() throws {
        let cli = try CLI()
        let serve = try Serve(cli)
        let flow = try String(contentsOfFile: CLI.fixture("parallel_then.yaml"), encoding: .utf8)
        #expect(serve.yaml("POST", "/api/v1/main/flows", flow).status == 200)
        let created = serve.call("POST", "/api/v1/main/executions/company.team/parallel_then?wait=true")
        #expect(created.status == 200, "\(created.text)")
        let parentId = try #require(created.object["id"] as? String)
        let rightRun = try #require(
            (created.object["taskRunList"] as? [[String: Any]])?.first { $0["taskId"] as? String == "right" }?["id"]
                as? String)

        let (body, type) = Serve.form([("greeting", "salut")])
        let replayed = serve.call(
            "POST", "/api/v1/main/executions/\(parentId)/replay-with-inputs?taskRunId=\(rightRun)", body: body,
            contentType: type)
        #expect(replayed.status == 200, "\(replayed.text)")
        let childId = try #require(replayed.object["id"] as? String)
        #expect(serve.waitFor(childId, ["SUCCESS", "FAILED", "KILLED"])["id"] as? String == childId)
        #expect(try vars(cli, childId, task: "last")["after"] as? String == "salut")

        let v2 = flow.replacingOccurrences(of: "\"after\":\"{{", with: "\"after\":\"v2 {{")
        #expect(serve.yaml("PUT", "/api/v1/main/flows/company.team/parallel_then", v2).status == 200)
        let lastRun = try #require(
            (created.object["taskRunList"] as? [[String: Any]])?.first { $0["taskId"] as? String == "last" }?["id"]
                as? String)
        let revised = serve.call(
            "POST", "/api/v1/main/executions/\(parentId)/actions/replay?taskRunId=\(lastRun)&revision=2")
        #expect(revised.status == 200, "\(revised.text)")
        let revisedId = try #require(revised.object["id"] as? String)
        _ = serve.waitFor(revisedId, ["SUCCESS", "FAILED", "KILLED"])
        #expect(try vars(cli, revisedId, task: "last")["after"] as? String == "v2 hello")
        #expect(
            serve.call("POST", "/api/v1/main/executions/\(parentId)/replay?revision=9").status == 404)
        serve.stop()
    }
}
