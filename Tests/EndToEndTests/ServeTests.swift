import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A flow with an input, a label and two tasks; the second fails unless the file its input names exists.
private let gatedFlow = """
    id: gated
    namespace: company.team
    labels:
      team: data
    inputs:
      - id: marker
        type: STRING
      - id: greeting
        type: STRING
        defaults: hello
    tasks:
      - id: first
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.ee.gcp.runner.Batch
          projectId: local-project
          region: europe-west9
          bucket: batchledger-local
        commands:
          - echo '{{ inputs.greeting }}'
      - id: second
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.ee.gcp.runner.Batch
          projectId: local-project
          region: europe-west9
          bucket: batchledger-local
        commands:
          - test -f '{{ inputs.marker }}' || exit 3
          - echo gate open
    """

/// Flow company.team/counting: one task printing `lines` numbered lines (`line 1` …), a tenth of a second apart.
func countingFlow(lines: Int) -> String {
    """
    id: counting
    namespace: company.team
    tasks:
      - id: count
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.ee.gcp.runner.Batch
          projectId: local-project
          region: europe-west9
        commands:
          - for i in $(seq 1 \(lines)); do echo "line $i"; sleep 0.1; done
    """
}

/// `batchledger serve --local` on a port of its own, with a token file (callers alice and bob).
final class Serve: @unchecked Sendable {
    let cli: CLI
    let running: CLI.Running
    let base: String
    static let alice = "alice-token-0123456789abcdef"
    static let bob = "bob-token-0123456789abcdef"

    /// Starts serve on `backend` (`--local`, or `--endpoint URL`) with `arguments` besides.
    init(_ cli: CLI, backend: [String] = ["--local"], arguments: [String] = []) throws {
        self.cli = cli
        let tokens = cli.folder.appendingPathComponent("tokens")
        try "alice:\(Self.alice)\nbob:\(Self.bob)\n".write(to: tokens, atomically: true, encoding: .utf8)
        running = try cli.start(
            ["serve"] + backend + [
                "--port", "0", "--token-file", tokens.path, "--secrets-file",
                CLI.sample("local.env"), "--output-dir", cli.folder.appendingPathComponent("outputs").path,
            ] + arguments)
        // A generous deadline for another process to start (a loaded machine is slow); nothing here is timed.
        let deadline = ContinuousClock.now + .seconds(120)
        var found: String?
        while found == nil, ContinuousClock.now < deadline, running.process.isRunning {
            if let range = running.stdout.range(of: "Kestra's API on ") {
                let url = running.stdout[range.upperBound...].prefix(while: { !$0.isWhitespace })
                found = url.range(of: "/api/").map { String(url[..<$0.lowerBound]) }
            } else {
                usleep(20_000)
            }
        }
        base = try #require(found, "serve did not start: \(running.stdout) \(running.stderr)")
    }

    struct Answer {
        var status: Int
        var data: Data
        var json: Any? { try? JSONSerialization.jsonObject(with: data) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var text: String { String(decoding: data, as: UTF8.self) }
    }

    /// One request, as `alice` unless told (waits for the answer: the server is another process).
    func call(
        _ method: String, _ path: String, body: Data? = nil, contentType: String? = nil,
        token: String? = Serve.alice
    ) -> Answer {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 300
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let semaphore = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var answer = Answer(status: 0, data: Data()) }
        let box = Box()
        URLSession.shared.dataTask(with: request) { data, response, _ in
            box.answer = Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, data: data ?? Data())
            semaphore.signal()
        }.resume()
        semaphore.wait()
        return box.answer
    }

    func yaml(_ method: String, _ path: String, _ text: String, token: String? = Serve.alice) -> Answer {
        call(method, path, body: Data(text.utf8), contentType: "application/x-yaml", token: token)
    }

    /// A multipart/form-data body, one part per field.
    static func form(_ fields: [(String, String)]) -> (Data, String) {
        let boundary = "----batchledger-\(UUID().uuidString)"
        var body = ""
        for (name, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        body += "--\(boundary)--\r\n"
        return (Data(body.utf8), "multipart/form-data; boundary=\(boundary)")
    }

    /// Polls an execution until its state is one of `states`.
    func waitFor(_ id: String, _ states: Set<String>, within limit: Duration = .seconds(300)) -> [String: Any] {
        let deadline = ContinuousClock.now + limit
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            last = call("GET", "/api/v1/main/executions/\(id)").object
            if let state = (last["state"] as? [String: Any])?["current"] as? String, states.contains(state) {
                return last
            }
            usleep(100_000)
        }
        Issue.record("execution \(id) did not reach \(states): \(last)")
        return last
    }

    func stop() {
        running.process.terminate()
        running.process.waitUntilExit()
    }

    deinit {
        if running.process.isRunning { stop() }
    }
}

/// The ledger's event count, by type, read with the CLI (what a request changed).
private func eventTypes(_ cli: CLI) throws -> [String] {
    let result = try cli.run(["audit", "--json", "--ledger", cli.ledger])
    return result.stdout.split(separator: "\n").compactMap { line in
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["type"] as? String
    }
}

private func state(_ execution: [String: Any]) -> String? {
    (execution["state"] as? [String: Any])?["current"] as? String
}

@Suite("batchledger serve: flows and executions through Kestra's API", .serialized)
struct ServeTests {
    @Test("flows: create, a new revision per change, get, search, revisions, validate with places, delete")
    func flows() throws {
        let cli = try CLI()
        let serve = try Serve(cli)
        let created = serve.yaml("POST", "/api/v1/main/flows", gatedFlow)
        #expect(created.status == 200, "\(created.text)")
        #expect(created.object["revision"] as? Int == 1 && created.object["source"] as? String == gatedFlow)
        #expect(serve.yaml("POST", "/api/v1/main/flows", gatedFlow).status == 409)
        let same = serve.yaml("PUT", "/api/v1/main/flows/company.team/gated", gatedFlow)
        #expect(same.status == 200 && same.object["revision"] as? Int == 1, "an unchanged flow keeps its revision")
        let changed = gatedFlow.replacingOccurrences(of: "defaults: hello", with: "defaults: hi")
        let updated = serve.yaml("PUT", "/api/v1/main/flows/company.team/gated", changed, token: Serve.bob)
        #expect(updated.status == 200 && updated.object["revision"] as? Int == 2, "\(updated.text)")
        let renamed = changed.replacingOccurrences(of: "id: gated", with: "id: other")
        #expect(serve.yaml("PUT", "/api/v1/main/flows/company.team/gated", renamed).status == 422)
        let got = serve.call("GET", "/api/v1/main/flows/company.team/gated?source=true")
        #expect(got.object["revision"] as? Int == 2 && got.object["source"] as? String == changed)
        #expect(serve.call("GET", "/api/v1/main/flows/company.team/gated").object["source"] == nil)
        let first = serve.call("GET", "/api/v1/main/flows/company.team/gated?revision=1&source=true")
        #expect(first.object["source"] as? String == gatedFlow)
        let revisions = serve.call("GET", "/api/v1/main/flows/company.team/gated/revisions").json as? [[String: Any]]
        #expect(revisions?.compactMap { $0["revision"] as? Int } == [1, 2])
        let search = serve.call("GET", "/api/v1/main/flows/search?filters%5Bnamespace%5D%5BEQUALS%5D=company.team")
        #expect(search.object["total"] as? Int == 1)
        #expect((search.object["results"] as? [[String: Any]])?.first?["id"] as? String == "gated")

        let broken = "id: broken\nnamespace: company.team\ntasks:\n  - id: t\n    type: nope\n"
        let validated = serve.yaml("POST", "/api/v1/main/flows/validate", gatedFlow + "\n---\n" + broken)
        let results = try #require(validated.json as? [[String: Any]], "\(validated.text)")
        #expect(results.count == 2 && results[0]["constraints"] == nil)
        let problem = try #require(results[1]["constraints"] as? String)
        // The broken flow starts after the first one's lines and the `---` line; its `type: nope` is its fifth line.
        let firstLine = gatedFlow.split(separator: "\n", omittingEmptySubsequences: false).count + 2
        #expect(
            problem.contains("flow.yaml:\(firstLine + 4):11:"), "the place counts lines in the whole body: \(problem)")
        #expect(serve.yaml("POST", "/api/v1/main/flows", broken).status == 422)

        // Who saved each revision is in the ledger.
        let audit = try cli.run(["audit", "--type", "FlowSaved", "--json", "--ledger", cli.ledger])
        #expect(audit.stdout.contains("\"requestedBy\":\"alice\"") && audit.stdout.contains("\"requestedBy\":\"bob\""))
        let trail = try cli.run(["events", "flow/company.team/gated", "--ledger", cli.ledger]).stdout
        #expect(trail.contains("flow company.team.gated revision 2 saved by bob"), "\(trail)")
        let byAlice = try cli.run(["audit", "--requested-by", "alice", "--json", "--ledger", cli.ledger]).stdout
        #expect(byAlice.split(separator: "\n").count == 1, "alice saved revision 1 only: \(byAlice)")

        #expect(serve.call("DELETE", "/api/v1/main/flows/company.team/gated").status == 204)
        #expect(serve.call("GET", "/api/v1/main/flows/company.team/gated").status == 404)
        #expect(serve.call("DELETE", "/api/v1/main/flows/company.team/gated").status == 404)
        #expect(serve.call("POST", "/api/v1/main/executions/company.team/gated").status == 404)
        // Executions listings do not mistake a flow's stream for an execution.
        let listed = try cli.run(["executions", "--json", "--ledger", cli.ledger]).stdout
        let listing = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [String: Any]
        #expect((listing?["executions"] as? [Any])?.isEmpty == true, "\(listed)")
        serve.stop()
    }

    @Test("executions: create with a form, labels and wait; restart from the failed task; replay; who asked")
    func executions() throws {
        let cli = try CLI()
        let serve = try Serve(cli)
        #expect(serve.yaml("POST", "/api/v1/main/flows", gatedFlow).status == 200)
        // Jobs see the host's files read-only, except /tmp (theirs is private): the gate is in /var/tmp.
        let marker = "/var/tmp/batchledger-gate-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let (body, type) = Serve.form([("marker", marker)])
        let failed = serve.call(
            "POST", "/api/v1/main/executions/company.team/gated?wait=true&labels=origin:test", body: body,
            contentType: type)
        #expect(failed.status == 200, "\(failed.text)")
        let parentId = try #require(failed.object["id"] as? String)
        #expect(state(failed.object) == "FAILED", "\(failed.text)")
        let labels = (failed.object["labels"] as? [[String: Any]] ?? []).map {
            "\($0["key"] ?? ""):\($0["value"] ?? "")"
        }
        #expect(labels.contains("origin:test") && labels.contains("team:data"))
        #expect(failed.object["flowRevision"] as? Int == 1)
        let searched = serve.call(
            "GET", "/api/v1/main/executions/search?filters%5Blabels%5D%5BEQUALS%5D%5Borigin%5D=test")
        #expect(searched.object["total"] as? Int == 1)

        FileManager.default.createFile(atPath: marker, contents: Data())
        let restarted = serve.call("POST", "/api/v1/main/executions/\(parentId)/restart", token: Serve.bob)
        #expect(restarted.status == 200, "\(restarted.text)")
        let childId = try #require(restarted.object["id"] as? String)
        #expect(childId != parentId && restarted.object["originalId"] as? String == parentId)
        let child = serve.waitFor(childId, ["SUCCESS", "FAILED", "KILLED"])
        #expect(state(child) == "SUCCESS")
        let childRuns = (child["taskRunList"] as? [[String: Any]] ?? []).compactMap { $0["taskId"] as? String }
        #expect(childRuns == ["first", "second"])

        // Only a failed or killed execution restarts; a successful one replays from a task run.
        #expect(serve.call("POST", "/api/v1/main/executions/\(childId)/actions/restart").status == 409)
        let secondRun = try #require(
            (child["taskRunList"] as? [[String: Any]])?.first { $0["taskId"] as? String == "second" }?["id"] as? String)
        let replayed = serve.call(
            "POST", "/api/v1/main/executions/\(childId)/actions/replay?taskRunId=\(secondRun)")
        #expect(replayed.status == 200, "\(replayed.text)")
        let replayId = try #require(replayed.object["id"] as? String)
        #expect(state(serve.waitFor(replayId, ["SUCCESS", "FAILED", "KILLED"])) == "SUCCESS")
        #expect(serve.call("POST", "/api/v1/main/executions/\(childId)/replay?taskRunId=nope").status == 404)

        let started = try cli.run(["audit", "--type", "ExecutionStarted", "--json", "--ledger", cli.ledger]).stdout
        #expect(started.contains("\"requestedBy\":\"alice\"") && started.contains("\"requestedBy\":\"bob\""))
        serve.stop()
        #expect(try cli.run(["verify", "--ledger", cli.ledger]).status == 0)
    }

    @Test("kill: the running job is deleted, the execution ends KILLED, and the ledger says who killed it")
    func kill() throws {
        let cli = try CLI()
        let serve = try Serve(cli)
        let sleeper = try String(contentsOfFile: CLI.fixture("sleeper.yaml"), encoding: .utf8)
        #expect(serve.yaml("POST", "/api/v1/main/flows", sleeper).status == 200)
        let created = serve.call("POST", "/api/v1/main/executions/company.team/sleeper")
        #expect(created.status == 200, "\(created.text)")
        let id = try #require(created.object["id"] as? String)
        _ = serve.waitFor(id, ["RUNNING"])
        let killed = serve.call("DELETE", "/api/v1/main/executions/\(id)/actions/kill", token: Serve.bob)
        #expect(killed.status == 200, "\(killed.text)")
        let trail = try cli.run(["events", id, "--ledger", cli.ledger]).stdout
        #expect(state(killed.object) == "KILLED", "\(trail)")
        #expect(serve.call("DELETE", "/api/v1/main/executions/\(id)/kill").status == 409)
        let finished = try cli.run(
            ["audit", "--execution", id, "--type", "ExecutionFinished", "--json", "--ledger", cli.ledger]).stdout
        #expect(finished.contains("\"requestedBy\":\"bob\""), "\(finished)")
        serve.stop()
    }

    @Test("bad requests get 4xx in Kestra's shape and change nothing in the ledger")
    func badRequests() throws {
        let cli = try CLI()
        let serve = try Serve(cli, arguments: ["--max-body", "4096"])
        #expect(serve.yaml("POST", "/api/v1/main/flows", gatedFlow).status == 200)
        let before = try eventTypes(cli)
        let refusals: [(Serve.Answer, Int)] = [
            (serve.yaml("POST", "/api/v1/main/flows", "id: [unclosed\n"), 422),
            (serve.yaml("POST", "/api/v1/main/flows", ""), 400),
            (serve.call("POST", "/api/v1/main/flows", body: Data("{}".utf8), contentType: "application/json"), 415),
            (serve.yaml("POST", "/api/v1/main/flows", gatedFlow + "\n# " + String(repeating: "x", count: 8_000)), 413),
            (serve.call("POST", "/api/v1/main/executions/company.team/nope"), 404),
            (serve.call("POST", "/api/v1/main/executions/company.team/gated"), 422),
            (serve.call("POST", "/api/v1/main/executions/company.team/gated?labels=nocolon"), 400),
            (serve.call("POST", "/api/v1/main/executions/company.team/gated?wait=maybe"), 400),
            (
                serve.call(
                    "POST", "/api/v1/main/executions/company.team/gated", body: Data("x".utf8),
                    contentType: "multipart/form-data; boundary=zz"), 400
            ),
            (serve.call("DELETE", "/api/v1/main/executions/nope/kill"), 404),
            (serve.call("POST", "/api/v1/main/executions/company.team/gated", token: "wrong-token-0123456789"), 401),
            (serve.call("POST", "/api/v1/main/flows", token: nil), 401),
        ]
        for (index, (answer, expected)) in refusals.enumerated() {
            #expect(answer.status == expected, "request \(index): \(answer.status) \(answer.text)")
            #expect(answer.object["message"] is String, "request \(index): \(answer.text)")
        }
        let (body, type) = Serve.form([("marker", "/nonexistent"), ("undeclared", "x")])
        let unknown = serve.call(
            "POST", "/api/v1/main/executions/company.team/gated", body: body, contentType: type)
        #expect(unknown.status == 422, "\(unknown.text)")
        #expect(try eventTypes(cli) == before)
        serve.stop()
    }

    @Test(
        "SIGTERM answers a waiting request, leaves the running execution interrupted with its job running, and the next serve resumes it"
    )
    func gracefulRestart() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        var serve = try Serve(cli, backend: ["--endpoint", emulator.endpoint])
        #expect(serve.yaml("POST", "/api/v1/main/flows", countingFlow(lines: 30)).status == 200)
        // A request that waits for the end, answered by the shutdown instead.
        let waiting = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var answer: Serve.Answer? }
        let box = Box()
        let first = serve
        DispatchQueue.global().async {
            box.answer = first.call("POST", "/api/v1/main/executions/company.team/counting?wait=true")
            waiting.signal()
        }
        // Its job exists once the execution's search lists a task run with a worker (the job's name).
        var id: String?
        let deadline = ContinuousClock.now + .seconds(60)
        while id == nil, ContinuousClock.now < deadline {
            let page = serve.call("GET", "/api/v1/main/executions/search").object["results"] as? [[String: Any]] ?? []
            let runs = page.first?["taskRunList"] as? [[String: Any]] ?? []
            let attempts = runs.first?["attempts"] as? [[String: Any]] ?? []
            if attempts.first?["workerId"] is String { id = page.first?["id"] as? String } else { usleep(20_000) }
        }
        let executionId = try #require(id, "the execution's job was never created")
        serve.stop()
        #expect(serve.running.process.terminationStatus == 0, "\(serve.running.stderr)")
        waiting.wait()
        #expect(box.answer?.status == 200 && state(box.answer?.object ?? [:]) == "RUNNING", "\(box.answer?.text ?? "")")
        let trail = try cli.run(["events", executionId, "--ledger", cli.ledger]).stdout
        #expect(!trail.contains("TaskFailed") && !trail.contains("APICallRetried"), "\(trail)")
        #expect(try cli.run(["show", executionId, "--ledger", cli.ledger]).stdout.contains("RUNNING"))

        serve = try Serve(cli, backend: ["--endpoint", emulator.endpoint])
        #expect(serve.running.stdout.contains("resuming 1 interrupted execution"))
        let ended = serve.waitFor(executionId, ["SUCCESS", "FAILED", "KILLED"])
        #expect(state(ended) == "SUCCESS")
        let attempts = ((ended["taskRunList"] as? [[String: Any]])?.first?["attempts"] as? [Any])?.count
        let jobsCreated = try emulator.stats()["jobsCreated"] as? Int
        #expect(attempts == 1 && jobsCreated == 1, "the job was watched again")
        let logs = serve.call("GET", "/api/v1/main/logs/\(executionId)").json as? [[String: Any]] ?? []
        #expect(logs.compactMap { $0["message"] as? String } == (1...30).map { "line \($0)" })
        serve.stop()
        #expect(try cli.run(["verify", "--ledger", cli.ledger]).status == 0)
    }
}

/// `NAMESPACE/ID` of a flow's text.
private func namespaceAndId(_ flow: String) -> String {
    func value(_ key: String) -> String {
        flow.split(separator: "\n").first { $0.hasPrefix("\(key): ") }.map { String($0.dropFirst(key.count + 2)) } ?? ""
    }
    return value("namespace") + "/" + value("id")
}
