import Foundation
import Testing

/// Kestra's core and flowable tasks, `errors`, `finally`, `afterExecution` and flow outputs, run through the CLI
/// as a user runs them.
@Suite("Core tasks, handlers and flow outputs", .serialized)
struct CoreTaskRunTests {
    /// A top-level key of a `--json` document.
    func top(_ json: String, _ key: String) throws -> Any? {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return object?[key]
    }

    @Test("Log, Return, OutputValues, If, Switch, Sequential and Pause run in order, each a task run of its own")
    func coreTasks() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.fixture("core_tasks.yaml"))
        #expect(result.status == 0, "\(result.stderr)")
        let run = try #require(report)
        #expect(run.state == "SUCCEEDED")
        #expect(
            run.tasks.map(\.id) == [
                "hello", "ret", "vals", "check", "yes", "sw", "seq", "case_b", "wait", "bye", "after",
            ], "the branches not taken (else, case a) never ran")
        #expect(run.tasks.allSatisfy { $0.state == "SUCCEEDED" })
        let tasks = Dictionary(uniqueKeysWithValues: run.tasks.map { ($0.id, $0) })
        #expect(tasks["ret"]?.vars["value"]?.text == "value-b")
        #expect(tasks["check"]?.vars["evaluationResult"]?.text == "true")
        #expect(tasks["sw"]?.vars["value"]?.text == "b")
        #expect(tasks["sw"]?.vars["defaults"]?.text == "false")
        #expect(tasks["case_b"]?.vars["value"]?.text == "B")
        #expect(tasks["after"]?.vars["value"]?.text == "SUCCESS", "afterExecution reads execution.state")

        let outputs = try #require(try top(result.stdout, "outputs") as? [String: Any])
        #expect(outputs["result"] as? String == "B")
        #expect(outputs["count"] as? Int == 3, "an INT output is a JSON number")
        #expect(try top(result.stdout, "labels") as? [String: String] == ["team": "data"])

        let logs = try cli.run(["logs", run.executionId]).stdout
        #expect(logs.contains("hello INFO Hello b"))
        #expect(logs.contains("yes WARN two value-b"), "a list message is one line each, at its level")
        #expect(logs.contains("bye INFO bye"))
        #expect(!logs.contains("never"))

        let show = try cli.run(["show", run.executionId, "--json"]).stdout
        #expect(show == result.stdout, "show --json prints the document run --json printed")
        let executions = try cli.run(["executions", "--json"]).stdout
        let entry = try #require((try top(executions, "executions") as? [[String: Any]])?.first)
        #expect((entry["outputs"] as? [String: Any])?["result"] as? String == "B")
        #expect(entry["labels"] as? [String: String] == ["team": "data"])

        let replay = try cli.run(["replay", run.executionId, "--check"])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.contains("all as recorded"))

        // A fork from the If takes Return's and OutputValues' outputs from the parent, and reads them.
        let fork = try cli.run(
            [
                "fork", run.executionId, "--from", "check", "--local", "--secrets-file", CLI.sample("local.env"),
                "--json",
            ])
        #expect(fork.status == 0, "\(fork.stderr)")
        let child = try #require(try? JSONDecoder().decode(Report.self, from: Data(fork.stdout.utf8)))
        #expect(child.tasks.first { $0.id == "ret" }?.vars["value"]?.text == "value-b")
        #expect(try cli.run(["logs", child.executionId, "--task", "yes"]).stdout.contains("two value-b"))
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("a failed task skips the rest, runs errors then finally, fails the execution; afterExecution sees FAILED")
    func errorsAndFinally() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.fixture("errors_finally.yaml"))
        #expect(result.status == 1)
        let run = try #require(report)
        #expect(run.state == "FAILED", "a successful errors branch does not make the execution succeed")
        #expect(run.tasks.map(\.id) == ["first", "boom", "on_error", "cleanup", "notify"])
        #expect(run.tasks.map(\.state) == ["SUCCEEDED", "FAILED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"])
        #expect(run.tasks[4].vars["value"]?.text == "FAILED")
        #expect(try cli.run(["logs", run.executionId]).stdout.contains("on_error INFO started then failed"))
        #expect(try cli.run(["replay", run.executionId, "--check"]).status == 0)
    }

    @Test("a failure inside a flowable that allows failure runs its errors, and the execution ends WARNING")
    func allowedFailure() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.fixture("allowed_failure.yaml"))
        #expect(result.status == 0, "\(result.stderr)")
        let run = try #require(report)
        #expect(run.state == "WARNING")
        #expect(run.tasks.map(\.id) == ["block", "boom", "block_error", "goes_on", "notify"])
        #expect(run.tasks.first { $0.id == "block_error" }?.state == "SUCCEEDED")
        #expect(run.tasks.first { $0.id == "goes_on" }?.vars["value"]?.text == "went on", "the flow went on")
        #expect(run.tasks.first { $0.id == "notify" }?.vars["value"]?.text == "WARNING")
    }

    @Test("a Switch whose value no case matches, without defaults, fails (Kestra: no task found)")
    func switchWithoutMatch() throws {
        let cli = try CLI()
        let flow = cli.folder.appendingPathComponent("switch.yaml")
        try """
        id: switch_nomatch
        namespace: company.team
        tasks:
          - id: sw
            type: io.kestra.plugin.core.flow.Switch
            value: "c"
            cases:
              a:
                - id: only_a
                  type: io.kestra.plugin.core.log.Log
                  message: a
        """.write(to: flow, atomically: true, encoding: .utf8)
        let (result, report) = try cli.runLocal(flow.path)
        #expect(result.status == 1)
        let run = try #require(report)
        #expect(run.state == "FAILED")
        #expect(run.tasks.map(\.id) == ["sw"])
        #expect(run.tasks[0].failureReason?.contains("no case of sw matches") == true)
    }

    @Test("a Subflow runs its child as an execution of its own, waits for it and reads its outputs")
    func subflow() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.fixture("sweep_parent.yaml"))
        #expect(result.status == 0, "\(result.stderr)")
        let run = try #require(report)
        let child = try #require(run.tasks.first { $0.id == "child" })
        #expect(child.state == "SUCCEEDED")
        #expect(child.vars["state"]?.text == "SUCCESS")
        let childId = try #require(child.vars["executionId"]?.text)
        let outputs = try #require(try top(result.stdout, "outputs") as? [String: Any])
        #expect(outputs["greeting"] as? String == "hello second", "the child's output, read by the parent")
        let shown = try cli.run(["show", childId, "--json"])
        #expect(shown.status == 0)
        #expect(try top(shown.stdout, "flowId") as? String == "sweep_child")
        #expect(try top(shown.stdout, "state") as? String == "SUCCEEDED")
        #expect(try cli.run(["replay", childId]).stdout.contains("parent \(run.executionId)"))
        #expect(try cli.run(["replay", run.executionId, "--check"]).status == 0)
    }

    @Test("a Subflow input holding a secret's value is refused at its place, and the value reaches no ledger")
    func subflowSecretInput() throws {
        let cli = try CLI()
        try cli.writeFlow(
            "parent.yaml",
            """
            id: parent
            namespace: company.team
            tasks:
              - id: call
                type: io.kestra.plugin.core.flow.Subflow
                namespace: company.team
                flowId: child
                inputs:
                  token: "{{ secret('SUBFLOW_TOKEN') }}"
            """)
        try cli.writeFlow(
            "child.yaml",
            """
            id: child
            namespace: company.team
            inputs:
              - id: token
                type: STRING
            tasks:
              - id: say
                type: io.kestra.plugin.core.log.Log
                message: "{{ inputs.token }}"
            """)
        let secret = "subflow-secret-value-4711"
        let (result, report) = try cli.runLocal(
            cli.folder.appendingPathComponent("parent.yaml").path,
            environment: ["SECRET_SUBFLOW_TOKEN": Data(secret.utf8).base64EncodedString()])
        #expect(result.status == 1)
        #expect(report?.state == "FAILED")
        #expect(
            result.stderr.contains("parent.yaml:9:14: Subflow call: input token holds a secret's value"),
            "\(result.stderr)")
        #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        #expect(cli.ledgerBytes().range(of: Data(secret.utf8)) == nil, "the secret is in the ledger")
        #expect(try cli.run(["executions"]).stdout.split(separator: "\n").count == 1, "no child was started")
    }

    @Test("a Subflow's revision under run must be its child flow file's: validate and run say so at its place")
    func subflowRevisionOfAFile() throws {
        let cli = try CLI()
        let parent = try cli.writeFlow(
            "parent.yaml",
            """
            id: parent
            namespace: company.team
            tasks:
              - id: call
                type: io.kestra.plugin.core.flow.Subflow
                namespace: company.team
                flowId: child
                revision: 2
            """)
        try cli.writeFlow(
            "child.yaml",
            """
            id: child
            namespace: company.team
            revision: 3
            tasks:
              - id: say
                type: io.kestra.plugin.core.log.Log
                message: hi
            """)
        let message =
            "parent.yaml:8:15: Subflow call: revision 2 was asked, and the flow file \(cli.folder.path)/child.yaml is "
            + "revision 3: remove 'revision' (a flow file has one), or run the flows in batchledger serve, whose flow "
            + "library keeps every revision"
        let validated = try cli.run(["validate", parent])
        #expect(validated.status != 0)
        #expect(validated.stdout.contains(message) || validated.stderr.contains(message), "\(validated.stderr)")
        try cli.writeFlow(
            "parent.yaml",
            try String(contentsOfFile: parent, encoding: .utf8).replacingOccurrences(
                of: "revision: 2", with: "revision: 3"))
        let (result, report) = try cli.runLocal(parent)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(report?.state == "SUCCEEDED")
    }

    @Test("a Subflow that would run its own flow again through another fails, and starts no third execution")
    func subflowCycle() throws {
        let cli = try CLI()
        for (id, other) in [("ping", "pong"), ("pong", "ping")] {
            try cli.writeFlow(
                "\(id).yaml",
                """
                id: \(id)
                namespace: company.team
                tasks:
                  - id: call
                    type: io.kestra.plugin.core.flow.Subflow
                    namespace: company.team
                    flowId: \(other)
                """)
        }
        let (result, report) = try cli.runLocal(cli.folder.appendingPathComponent("ping.yaml").path)
        #expect(result.status == 1)
        #expect(report?.state == "FAILED")
        let executions = try cli.run(["executions"]).stdout.split(separator: "\n")
        #expect(executions.count == 2, "ping, and the pong it started; pong's call refused")
        let pong = try #require(executions.first { $0.contains("company.team/pong") }?.split(separator: " ").first)
        let show = try cli.run(["show", String(pong), "--json"]).stdout
        #expect(show.contains("would run company.team/ping inside itself"))
    }

    @Test("Ctrl-C cancels the running task, still runs finally (not errors) and afterExecution sees KILLED")
    func killRunsFinally() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let running = try cli.start(["run", CLI.fixture("sleeper_finally.yaml"), "--endpoint", emulator.endpoint])
        // A generous deadline for another process to start its job (a loaded machine is slow).
        let deadline = ContinuousClock.now + .seconds(120)
        while !running.stdout.contains("RUNNING") && ContinuousClock.now < deadline { usleep(50_000) }
        try #require(running.stdout.contains("RUNNING"), "the run never reached its job: \(running.stderr)")
        kill(running.process.processIdentifier, SIGINT)
        running.process.waitUntilExit()
        #expect(running.process.terminationStatus == 130, "\(running.stderr)")
        let id = try #require(running.stdout.split(separator: " ").dropFirst().first.map(String.init))
        let show = try cli.run(["show", id, "--json"]).stdout
        let report = try #require(try? JSONDecoder().decode(Report.self, from: Data(show.utf8)))
        #expect(report.state == "CANCELLED")
        #expect(report.tasks.map(\.id) == ["sleeps", "cleanup", "notify"])
        #expect(report.tasks.map(\.state) == ["CANCELLED", "SUCCEEDED", "SUCCEEDED"])
        #expect(report.tasks[2].vars["value"]?.text == "KILLED")
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("validate refuses what BatchLedger does not run, naming the feature, at FILE:LINE:COLUMN")
    func refusals() throws {
        let cli = try CLI()
        let flow = cli.folder.appendingPathComponent("refused.yaml")
        try """
        id: refused
        namespace: company.team
        tasks:
          - id: wait_forever
            type: io.kestra.plugin.core.flow.Pause
          - id: loop
            type: io.kestra.plugin.core.flow.LoopUntil
          - id: child
            type: io.kestra.plugin.core.flow.Subflow
            namespace: company.team
            flowId: missing
        outputs:
          - id: report
            type: FILE
            value: x
        """.write(to: flow, atomically: true, encoding: .utf8)
        let result = try cli.run(["validate", flow.path])
        #expect(result.status != 0)
        let lines = result.stderr + result.stdout
        #expect(lines.contains("refused.yaml:4:5: a Pause without 'delay' waits for a manual resume"))
        #expect(lines.contains("refused.yaml:7:11: task type 'io.kestra.plugin.core.flow.LoopUntil' (LoopUntil)"))
        #expect(lines.contains("refused.yaml:11:13: Subflow child: no flow company.team/missing"))
        #expect(lines.contains("refused.yaml:14:11: output type 'FILE' is not supported by BatchLedger"))
    }

    @Test("validate holds a Subflow's inputs to the child flow's: no unknown input, every required one given")
    func subflowInputs() throws {
        let cli = try CLI()
        try String(contentsOfFile: CLI.fixture("sweep_child.yaml"), encoding: .utf8)
            .write(to: cli.folder.appendingPathComponent("child.yaml"), atomically: true, encoding: .utf8)
        let parent = cli.folder.appendingPathComponent("parent.yaml")
        try """
        id: parent
        namespace: company.team
        tasks:
          - id: call
            type: io.kestra.plugin.core.flow.Subflow
            namespace: company.team
            flowId: sweep_child
            inputs:
              nme: x
        """.write(to: parent, atomically: true, encoding: .utf8)
        let result = try cli.run(["validate", parent.path])
        #expect(result.status != 0)
        let lines = result.stderr + result.stdout
        #expect(
            lines.contains("parent.yaml:4:5: Subflow call: input 'name' of flow company.team/sweep_child is required"))
        #expect(lines.contains("parent.yaml:9:7: Subflow call: flow company.team/sweep_child has no input 'nme'"))
    }

    @Test("templates of core tasks and flow outputs are checked like a script's")
    func templateChecks() throws {
        let cli = try CLI()
        let flow = cli.folder.appendingPathComponent("templates.yaml")
        try """
        id: templates
        namespace: company.team
        tasks:
          - id: early
            type: io.kestra.plugin.core.debug.Return
            format: "{{ outputs.late.value }}"
          - id: late
            type: io.kestra.plugin.core.debug.Return
            format: "{{ inputs.nothing }}"
        outputs:
          - id: out
            type: STRING
            value: "{{ outputs.early.nope }}"
        """.write(to: flow, atomically: true, encoding: .utf8)
        let result = try cli.run(["validate", flow.path])
        #expect(result.status != 0)
        let lines = (result.stderr + result.stdout).split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("templates.yaml:6:") && $0.contains("late") })
        #expect(lines.contains { $0.contains("templates.yaml:9:") && $0.contains("nothing") })
        #expect(lines.contains { $0.contains("templates.yaml:13:") && $0.contains("nope") })
    }
}
