import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Flow company.team/child at a revision: says which revision greeted whom, as a flow output.
private func childFlow(revision: Int) -> String {
    """
    id: child
    namespace: company.team
    inputs:
      - id: who
        type: STRING
    tasks:
      - id: say
        type: io.kestra.plugin.core.debug.Return
        format: "revision \(revision) greets {{ inputs.who }}"
    outputs:
      - id: said
        type: STRING
        value: "{{ outputs.say.value }}"
    """
}

/// Subflow tasks under `batchledger serve`: the child flow comes from the server's flow library.
@Suite("batchledger serve: Subflow children from the flow library", .serialized)
struct ServeSubflowTests {
    @Test("a Subflow runs the library's latest revision of its child, or the one it names, as executions that name it")
    func runsChildrenFromTheLibrary() throws {
        let cli = try CLI()
        let serve = try Serve(cli)
        defer { serve.stop() }
        let parent = """
            id: parent
            namespace: company.team
            tasks:
              - id: latest
                type: io.kestra.plugin.core.flow.Subflow
                namespace: company.team
                flowId: child
                inputs:
                  who: alice
              - id: pinned
                type: io.kestra.plugin.core.flow.Subflow
                namespace: company.team
                flowId: child
                revision: 1
                inputs:
                  who: bob
            """
        let saved = serve.yaml("POST", "/api/v1/main/flows", parent)
        #expect(saved.status == 200, "a flow with Subflow tasks is saved: \(saved.text)")
        #expect(serve.yaml("POST", "/api/v1/main/flows", childFlow(revision: 1)).status == 200)
        #expect(serve.yaml("PUT", "/api/v1/main/flows/company.team/child", childFlow(revision: 2)).status == 200)

        let created = serve.call("POST", "/api/v1/main/executions/company.team/parent?wait=true")
        #expect(created.status == 200, "\(created.text)")
        let parentId = try #require(created.object["id"] as? String)
        let ended = serve.waitFor(parentId, ["SUCCESS", "FAILED", "KILLED"])
        #expect((ended["state"] as? [String: Any])?["current"] as? String == "SUCCESS", "\(ended)")

        let shown = try cli.run(["show", parentId, "--json"])
        let report = try JSONDecoder().decode(Report.self, from: Data(shown.stdout.utf8))
        let children = Dictionary(
            uniqueKeysWithValues: report.tasks.compactMap { task in task.vars["executionId"].map { (task.id, $0.text) }
            })
        #expect(children.count == 2, "\(shown.stdout)")
        for (task, revision, who) in [("latest", 2, "alice"), ("pinned", 1, "bob")] {
            let childId = try #require(children[task])
            let child = serve.call("GET", "/api/v1/main/executions/\(childId)").object
            #expect(child["flowRevision"] as? Int == revision, "\(task): \(child)")
            #expect((child["state"] as? [String: Any])?["current"] as? String == "SUCCESS")
            let started = try cli.run(["audit", "--execution", childId, "--type", "ExecutionStarted", "--json"]).stdout
            #expect(started.contains("\"parentExecutionId\":\"\(parentId)\""), "\(started)")
            let childReport = try JSONDecoder().decode(
                Report.self, from: Data(try cli.run(["show", childId, "--json"]).stdout.utf8))
            #expect(childReport.tasks.first?.vars["value"]?.text == "revision \(revision) greets \(who)")
        }
        #expect(try cli.run(["verify"]).status == 0)
        let check = try cli.run(["replay", parentId, "--check"])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
    }

    @Test(
        "a Subflow whose child is not in the library, or takes other inputs, fails at its place, saying what to do"
    )
    func missingChildIsAnError() throws {
        let cli = try CLI()
        let serve = try Serve(cli)
        defer { serve.stop() }
        let orphan = """
            id: orphan
            namespace: company.team
            tasks:
              - id: call
                type: io.kestra.plugin.core.flow.Subflow
                namespace: company.team
                flowId: missing
            """
        #expect(serve.yaml("POST", "/api/v1/main/flows", orphan).status == 200)
        let created = serve.call("POST", "/api/v1/main/executions/company.team/orphan?wait=true")
        #expect(created.status == 200, "\(created.text)")
        let id = try #require(created.object["id"] as? String)
        let ended = serve.waitFor(id, ["SUCCESS", "FAILED", "KILLED"])
        #expect((ended["state"] as? [String: Any])?["current"] as? String == "FAILED", "\(ended)")
        let shown = try cli.run(["show", id, "--json"]).stdout
        let report = try JSONDecoder().decode(Report.self, from: Data(shown.utf8))
        #expect(
            report.tasks.first?.failureReason
                == "company.team.orphan@1.yaml:7:13: Subflow call: no flow company.team.missing in the flow library: "
                + "save it (POST /api/v1/main/flows) before running this flow", "\(shown)")
        #expect(try cli.run(["executions"]).stdout.split(separator: "\n").count == 1, "no child was started")

        // A child in the library that does not take the inputs given: said at the Subflow's input.
        let caller = """
            id: caller
            namespace: company.team
            tasks:
              - id: call
                type: io.kestra.plugin.core.flow.Subflow
                namespace: company.team
                flowId: child
                inputs:
                  whom: carol
            """
        #expect(serve.yaml("POST", "/api/v1/main/flows", caller).status == 200)
        #expect(serve.yaml("POST", "/api/v1/main/flows", childFlow(revision: 1)).status == 200)
        let called = serve.call("POST", "/api/v1/main/executions/company.team/caller?wait=true")
        let callerId = try #require(called.object["id"] as? String, "\(called.text)")
        #expect(state(serve.waitFor(callerId, ["SUCCESS", "FAILED", "KILLED"])) == "FAILED")
        let failed = try JSONDecoder().decode(
            Report.self, from: Data(try cli.run(["show", callerId, "--json"]).stdout.utf8))
        let reason = failed.tasks.first?.failureReason ?? ""
        #expect(
            reason.contains(
                "company.team.caller@1.yaml:9:7: Subflow call: flow company.team/child has no input 'whom' "
                    + "(its inputs: who)"), "\(reason)")
        #expect(reason.contains("company.team.caller@1.yaml:4:5: Subflow call: input 'who' of flow"), "\(reason)")
    }
}

private func state(_ execution: [String: Any]) -> String? {
    (execution["state"] as? [String: Any])?["current"] as? String
}
