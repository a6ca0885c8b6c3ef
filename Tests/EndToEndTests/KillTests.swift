import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `batchledger kill` from another process, whoever drives the execution (a run, a serve, or nobody any more),
/// and no job left on Batch once an execution has ended.
@Suite("kill from any process, and no job left behind", .serialized)
struct KillTests {
    /// Waits (generously) until `done` holds; false if it never does.
    func eventually(within limit: Duration = .seconds(120), _ done: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try done() { return true }
            usleep(50_000)
        }
        return false
    }

    /// The jobs not ended: what would go on costing money.
    func unfinished(_ jobs: [String: String]) -> [String: String] {
        jobs.filter { !["SUCCEEDED", "FAILED", "DELETION_IN_PROGRESS"].contains($0.value) }
    }

    /// Starts `run FLOW --endpoint` in its own process and waits until its job runs; its execution id.
    func startRun(_ cli: CLI, _ emulator: Emulator, _ flow: String) throws -> (CLI.Running, String) {
        let running = try cli.start(
            ["run", flow, "--endpoint", emulator.endpoint, "--secrets-file", CLI.sample("local.env")])
        var id: String?
        #expect(
            eventually {
                id =
                    running.stdout.split(separator: "\n").lazy.compactMap { line in
                        line.hasPrefix("execution ")
                            ? line.split(separator: " ").dropFirst().first.map(String.init) : nil
                    }.first
                return id != nil
            }, "run printed no execution id: \(running.stderr)")
        #expect(try eventually { try emulator.jobStates().values.contains("RUNNING") }, "the job never ran")
        return (running, try #require(id))
    }

    func waitForExit(_ running: CLI.Running) -> Int32? {
        guard eventually({ !running.process.isRunning }) else { return nil }
        running.process.waitUntilExit()
        return running.process.terminationStatus
    }

    func finished(_ cli: CLI, _ id: String) throws -> String {
        try cli.run(["audit", "--execution", id, "--type", "ExecutionFinished", "--json"]).stdout
    }

    @Test("kill of a run from a second process: the run ends CANCELLED, its job is gone, the ledger says who")
    func killsARun() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let (run, id) = try startRun(cli, emulator, CLI.fixture("long_sleeper.yaml"))
        let kill = try cli.run(["kill", id], environment: ["BATCHLEDGER_USER": "carol"])
        #expect(kill.status == 0, "\(kill.stderr)")
        #expect(kill.stdout.contains("CANCELLED (killed by carol; ended by its driver)"), "\(kill.stdout)")
        #expect(waitForExit(run) == 130, "the run ends as cancelled: \(run.stderr)")
        #expect(unfinished(try emulator.jobStates()).isEmpty)
        #expect(try emulator.stats()["jobsDeleted"] as? Int == 1)
        let shown = try cli.run(["show", id, "--json"]).stdout
        #expect(shown.contains("\"state\" : \"CANCELLED\""), "\(shown)")
        #expect(try finished(cli, id).contains("\"requestedBy\":\"carol\""))
        let events = try cli.run(["events", "control/\(id)"]).stdout
        #expect(events.contains("KillRequested"), "\(events)")
        #expect(try cli.run(["verify"]).status == 0)
        let check = try cli.run(["replay", id, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
    }

    @Test("kill of a driverless execution waiting in a Pause records the Pause cancelled, not left RUNNING")
    func killsADriverlessPause() throws {
        let cli = try CLI()
        let flow = cli.folder.appendingPathComponent("waits.yaml")
        try """
        id: waits
        namespace: company.team
        tasks:
          - id: hello
            type: io.kestra.plugin.core.log.Log
            message: hi
          - id: wait
            type: io.kestra.plugin.core.flow.Pause
            delay: PT1H
        """.write(to: flow, atomically: true, encoding: .utf8)
        let running = try cli.start(["run", flow.path, "--local"])
        var id: String?
        #expect(
            eventually {
                id =
                    running.stdout.split(separator: "\n").lazy.compactMap { line in
                        line.hasPrefix("execution ")
                            ? line.split(separator: " ").dropFirst().first.map(String.init) : nil
                    }.first
                guard let id, let shown = try? cli.run(["show", id, "--json"]) else { return false }
                return (try? JSONDecoder().decode(Report.self, from: Data(shown.stdout.utf8)))?.tasks
                    .contains { $0.id == "wait" && $0.state == "RUNNING" } == true
            }, "the Pause never started: \(running.stderr)")
        Foundation.kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        let kill = try cli.run(["kill", try #require(id), "--json"], environment: ["BATCHLEDGER_USER": "erin"])
        #expect(kill.status == 0, "\(kill.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(kill.stdout.utf8))
        #expect(report.state == "CANCELLED")
        #expect(report.tasks.map { "\($0.id) \($0.state)" } == ["hello SUCCEEDED", "wait CANCELLED"])
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("kill of a Subflow child names its parent to kill; killing the parent stops both")
    func killsThroughTheParent() throws {
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
            """)
        try cli.writeFlow(
            "child.yaml",
            """
            id: child
            namespace: company.team
            tasks:
              - id: wait
                type: io.kestra.plugin.core.flow.Pause
                delay: PT1H
            """)
        let running = try cli.start(["run", cli.folder.appendingPathComponent("parent.yaml").path, "--local"])
        var ids: [String: String] = [:]
        #expect(
            eventually {
                for line in (try? cli.run(["executions"]).stdout.split(separator: "\n")) ?? [] {
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                    guard let id = fields.first, let flow = fields.first(where: { $0.hasPrefix("company.team/") })
                    else { continue }
                    ids[String(flow.dropFirst("company.team/".count))] = String(id)
                }
                return ids.count == 2
            }, "the child never started: \(running.stderr)")
        let child = try #require(ids["child"])
        let parent = try #require(ids["parent"])
        let refused = try cli.run(["kill", child])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("is the Subflow child of execution \(parent)"), "\(refused.stderr)")
        let killed = try cli.run(["kill", parent, "--json"])
        #expect(killed.status == 0, "\(killed.stderr)")
        running.process.waitUntilExit()
        let shown = try cli.run(["show", child, "--json"])
        #expect((try JSONDecoder().decode(Report.self, from: Data(shown.stdout.utf8))).state == "CANCELLED")
    }

    @Test("a driverless kill deletes the job as the account the attempt impersonated")
    func killsAsTheImpersonatedAccount() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let account = "runner@local-project.iam.gserviceaccount.com"
        let flow = try cli.writeFlow(
            "impersonating.yaml",
            """
            id: impersonating
            namespace: company.team
            tasks:
              - id: sleep
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: local-project
                  region: europe-west9
                  impersonatedServiceAccount: \(account)
                commands:
                  - sleep 600
            """)
        let (run, id) = try startRun(cli, emulator, flow)
        Foundation.kill(run.process.processIdentifier, SIGKILL)
        run.process.waitUntilExit()
        let kill = try cli.run(["kill", id, "--json"])
        #expect(kill.status == 0, "\(kill.stderr)")
        #expect(try eventually { unfinished(try emulator.jobStates()).isEmpty })
        let stats = try emulator.stats()
        let requests = try #require(stats["requests"] as? [String: Int])
        #expect((requests["jobs.delete"] ?? 0) >= 1, "\(requests)")
        // One token for the run, and one the kill obtained for the account to delete the job with.
        #expect(stats["impersonations"] as? [String: Int] == [account: 2], "\(stats)")
    }

    @Test("kill of an execution whose process was SIGKILLed: kill takes its lease and deletes its job itself")
    func killsADriverlessExecution() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let (run, id) = try startRun(cli, emulator, CLI.fixture("long_sleeper.yaml"))
        Foundation.kill(run.process.processIdentifier, SIGKILL)
        run.process.waitUntilExit()
        #expect(try emulator.jobStates().values.contains("RUNNING"), "the job outlives its client")
        let kill = try cli.run(["kill", id, "--json"], environment: ["BATCHLEDGER_USER": "dave"])
        #expect(kill.status == 0, "\(kill.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(kill.stdout.utf8))
        #expect(report.state == "CANCELLED")
        #expect(report.tasks.map(\.state) == ["CANCELLED"])
        #expect(try eventually { unfinished(try emulator.jobStates()).isEmpty })
        #expect(try finished(cli, id).contains("\"requestedBy\":\"dave\""))
        let trail = try cli.run(["events", id]).stdout
        #expect(trail.contains("JobDeleted") && trail.contains("killed by dave"), "\(trail)")
        #expect(try cli.run(["verify"]).status == 0)
        // Nothing is left for a recovery to resume.
        let recover = try cli.run(["recover"])
        #expect(!recover.stdout.contains(id), "\(recover.stdout)")
    }

    /// Starts `run FLOW --endpoint` in its own process and waits until task `taskId` runs; its execution id.
    func startRun(_ cli: CLI, _ emulator: Emulator, _ flow: String, untilRunning taskId: String) throws -> (
        CLI.Running, String
    ) {
        let running = try cli.start(
            ["run", flow, "--endpoint", emulator.endpoint, "--secrets-file", CLI.sample("local.env")])
        var id: String?
        #expect(
            eventually {
                id =
                    running.stdout.split(separator: "\n").lazy.compactMap { line in
                        line.hasPrefix("execution ")
                            ? line.split(separator: " ").dropFirst().first.map(String.init) : nil
                    }.first
                guard let id, let shown = try? cli.run(["show", id, "--json"]) else { return false }
                return (try? JSONDecoder().decode(Report.self, from: Data(shown.stdout.utf8)))?.tasks
                    .contains { $0.id == taskId && $0.state == "RUNNING" } == true
            }, "\(taskId) never ran: \(running.stderr)")
        return (running, try #require(id))
    }

    @Test("a second kill stops the finally the first kill started: its job deleted, its task run cancelled, KILLED")
    func secondKillStopsTheFinally() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let flow = try cli.writeFlow(
            "slow_finally.yaml",
            """
            id: slow_finally
            namespace: company.team
            tasks:
              - id: wait
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: local-project
                  region: europe-west9
                commands:
                  - sleep 600
            finally:
              - id: cleanup
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: local-project
                  region: europe-west9
                commands:
                  - sleep 600
              - id: after
                type: io.kestra.plugin.core.log.Log
                message: not after a second kill
            """)
        let (run, id) = try startRun(cli, emulator, flow, untilRunning: "wait")
        // The first kill starts the finally, which it waits for.
        let first = try cli.start(["kill", id], environment: ["BATCHLEDGER_USER": "carol"])
        #expect(
            try eventually {
                guard let shown = try? cli.run(["show", id, "--json"]),
                    let report = try? JSONDecoder().decode(Report.self, from: Data(shown.stdout.utf8)),
                    let job = report.tasks.first(where: { $0.id == "cleanup" })?.jobName
                else { return false }
                return try emulator.jobStates().contains { $0.key.hasSuffix(job) && $0.value == "RUNNING" }
            }, "the finally's job never ran")
        let second = try cli.run(["kill", id], environment: ["BATCHLEDGER_USER": "dave"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("CANCELLED"), "\(second.stdout)")
        #expect(waitForExit(run) == 130, "the run ends as cancelled: \(run.stderr)")
        #expect(waitForExit(first) == 0, "\(first.stderr)")
        let shown = try JSONDecoder().decode(Report.self, from: Data(try cli.run(["show", id, "--json"]).stdout.utf8))
        #expect(shown.state == "CANCELLED")
        #expect(shown.tasks.map { "\($0.id) \($0.state)" } == ["wait CANCELLED", "cleanup CANCELLED"])
        #expect(unfinished(try emulator.jobStates()).isEmpty)
        #expect(try emulator.stats()["jobsDeleted"] as? Int == 2)
        #expect(try finished(cli, id).contains("\"requestedBy\":\"carol\""))
        let trail = try cli.run(["events", id]).stdout
        #expect(trail.contains("JobDeleted") && trail.contains("killed by dave"), "\(trail)")
        let requests = try cli.run(["events", "control/\(id)"]).stdout
        #expect(requests.components(separatedBy: "KillRequested").count - 1 == 2, "\(requests)")
        #expect(try cli.run(["verify"]).status == 0)
        let check = try cli.run(["replay", id, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
    }

    @Test("a driverless kill runs the flow's finally tasks, a script on Batch among them, and records them")
    func driverlessKillRunsTheFinally() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let flow = try cli.writeFlow(
            "sleeper_cleans_up.yaml",
            """
            id: sleeper_cleans_up
            namespace: company.team
            tasks:
              - id: sleeps
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: local-project
                  region: europe-west9
                commands:
                  - sleep 600
              - id: never
                type: io.kestra.plugin.core.log.Log
                message: never
            finally:
              - id: cleanup
                type: io.kestra.plugin.core.log.Log
                message: cleaning up after {{ flow.id }}
              - id: report
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: local-project
                  region: europe-west9
                commands:
                  - echo '::{"outputs":{"reported":"yes"}}::'
            """)
        let (run, id) = try startRun(cli, emulator, flow, untilRunning: "sleeps")
        #expect(try eventually { try emulator.jobStates().values.contains("RUNNING") }, "the job never ran")
        Foundation.kill(run.process.processIdentifier, SIGKILL)
        run.process.waitUntilExit()
        let kill = try cli.run(["kill", id, "--json"], environment: ["BATCHLEDGER_USER": "dave"])
        #expect(kill.status == 0, "\(kill.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(kill.stdout.utf8))
        #expect(report.state == "CANCELLED")
        #expect(
            report.tasks.map { "\($0.id) \($0.state)" } == [
                "sleeps CANCELLED", "cleanup SUCCEEDED", "report SUCCEEDED",
            ],
            "\(kill.stdout)")
        #expect(unfinished(try emulator.jobStates()).isEmpty)
        #expect(try finished(cli, id).contains("\"requestedBy\":\"dave\""))
        #expect(report.tasks.last?.vars["reported"]?.text == "yes", "\(kill.stdout)")
        #expect(try cli.run(["verify"]).status == 0)
        let check = try cli.run(["replay", id, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(!(try cli.run(["recover"]).stdout.contains(id)))
    }

    @Test("a driverless kill runs the finally of the Parallel it interrupted, then the flow's, and starts nothing else")
    func driverlessKillRunsNestedFinallyInnermostFirst() throws {
        let cli = try CLI()
        let flow = try cli.writeFlow(
            "nested_finally.yaml",
            """
            id: nested_finally
            namespace: company.team
            tasks:
              - id: both
                type: io.kestra.plugin.core.flow.Parallel
                tasks:
                  - id: left
                    type: io.kestra.plugin.core.flow.Pause
                    delay: PT1H
                  - id: right
                    type: io.kestra.plugin.core.flow.Pause
                    delay: PT1H
                finally:
                  - id: inner_cleanup
                    type: io.kestra.plugin.core.log.Log
                    message: inner
              - id: never
                type: io.kestra.plugin.core.log.Log
                message: never
            finally:
              - id: outer_cleanup
                type: io.kestra.plugin.core.log.Log
                message: outer
            """)
        let running = try cli.start(["run", flow, "--local"])
        var id: String?
        #expect(
            eventually {
                id =
                    running.stdout.split(separator: "\n").lazy.compactMap { line in
                        line.hasPrefix("execution ")
                            ? line.split(separator: " ").dropFirst().first.map(String.init) : nil
                    }.first
                guard let id, let shown = try? cli.run(["show", id, "--json"]) else { return false }
                let tasks = (try? JSONDecoder().decode(Report.self, from: Data(shown.stdout.utf8)))?.tasks ?? []
                return tasks.filter { $0.state == "RUNNING" }.count == 2
            }, "the Pauses never started: \(running.stderr)")
        Foundation.kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        let kill = try cli.run(["kill", try #require(id), "--json"], environment: ["BATCHLEDGER_USER": "erin"])
        #expect(kill.status == 0, "\(kill.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(kill.stdout.utf8))
        #expect(report.state == "CANCELLED")
        #expect(
            report.tasks.map { "\($0.id) \($0.state)" }.sorted()
                == ["inner_cleanup SUCCEEDED", "left CANCELLED", "outer_cleanup SUCCEEDED", "right CANCELLED"],
            "\(kill.stdout)")
        let order = report.tasks.map(\.id)
        #expect(
            (order.firstIndex(of: "inner_cleanup") ?? 99) < (order.firstIndex(of: "outer_cleanup") ?? -1), "\(order)")
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("a second kill stops the finally a driverless kill drives")
    func secondKillStopsADriverlessFinally() throws {
        let cli = try CLI()
        let flow = try cli.writeFlow(
            "waits_twice.yaml",
            """
            id: waits_twice
            namespace: company.team
            tasks:
              - id: wait
                type: io.kestra.plugin.core.flow.Pause
                delay: PT1H
            finally:
              - id: linger
                type: io.kestra.plugin.core.flow.Pause
                delay: PT1H
            """)
        let running = try cli.start(["run", flow, "--local"])
        var id: String?
        #expect(
            eventually {
                id =
                    running.stdout.split(separator: "\n").lazy.compactMap { line in
                        line.hasPrefix("execution ")
                            ? line.split(separator: " ").dropFirst().first.map(String.init) : nil
                    }.first
                guard let id, let shown = try? cli.run(["show", id, "--json"]) else { return false }
                return (try? JSONDecoder().decode(Report.self, from: Data(shown.stdout.utf8)))?.tasks
                    .contains { $0.id == "wait" && $0.state == "RUNNING" } == true
            }, "the Pause never started: \(running.stderr)")
        let execution = try #require(id)
        Foundation.kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        // The first kill takes the execution over and waits in its finally.
        let first = try cli.start(["kill", execution], environment: ["BATCHLEDGER_USER": "erin"])
        #expect(
            eventually {
                guard let shown = try? cli.run(["show", execution, "--json"]) else { return false }
                return (try? JSONDecoder().decode(Report.self, from: Data(shown.stdout.utf8)))?.tasks
                    .contains { $0.id == "linger" && $0.state == "RUNNING" } == true
            }, "the finally never started: \(first.stderr)")
        let second = try cli.run(["kill", execution, "--json"], environment: ["BATCHLEDGER_USER": "frank"])
        #expect(second.status == 0, "\(second.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(second.stdout.utf8))
        #expect(report.state == "CANCELLED")
        #expect(report.tasks.map { "\($0.id) \($0.state)" } == ["wait CANCELLED", "linger CANCELLED"])
        #expect(report.tasks.last?.failureReason == "killed by frank", "\(second.stdout)")
        #expect(waitForExit(first) == 0, "\(first.stderr)")
        #expect(first.stdout.contains("ended by the kill itself"), "\(first.stdout)")
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("kill of an execution a recover drives: the recover notices the request and ends it")
    func killsARecovery() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        // The run dies right after its job was created (event 7, JobCreated); the job goes on running.
        let crashed = try cli.run(
            [
                "run", CLI.fixture("long_sleeper.yaml"), "--endpoint", emulator.endpoint, "--secrets-file",
                CLI.sample("local.env"),
            ],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": "7"])
        #expect(crashed.status == 137, "\(crashed.stderr)")
        let id = try #require(crashed.stdout.split(separator: " ").dropFirst().first.map(String.init))
        let recover = try cli.start(["recover", "--secrets-file", CLI.sample("local.env")])
        #expect(
            try eventually { try cli.run(["events", id, "--type", "Reconciled"]).stdout.contains("Reconciled") },
            "recover never took the execution over: \(recover.stderr)")
        let kill = try cli.run(["kill", id], environment: ["BATCHLEDGER_USER": "frank"])
        #expect(kill.status == 0, "\(kill.stderr)")
        #expect(kill.stdout.contains("ended by its driver"), "\(kill.stdout)")
        #expect(waitForExit(recover) != nil, "recover goes on: \(recover.stderr)")
        #expect(unfinished(try emulator.jobStates()).isEmpty)
        #expect(try cli.run(["show", id]).stdout.contains("CANCELLED"))
        #expect(try finished(cli, id).contains("\"requestedBy\":\"frank\""))
    }

    @Test("kill of an execution that ended, or of an unknown one, is refused and changes nothing")
    func refusesEnded() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let run = try cli.run(
            [
                "run", CLI.fixture("slow_then_done.yaml"), "--endpoint", emulator.endpoint, "--secrets-file",
                CLI.sample("local.env"), "--json",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let id = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8)).executionId
        let before = try cli.run(["events"]).stdout
        let kill = try cli.run(["kill", id])
        #expect(kill.status == 2)
        #expect(kill.stderr.contains("already ended SUCCEEDED"), "\(kill.stderr)")
        let unknown = try cli.run(["kill", "01JNOSUCHEXECUTION0000000"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("01JNOSUCHEXECUTION0000000"), "\(unknown.stderr)")
        for wait in ["0", "-5", "86401", "99999999999999999999", "soon"] {
            let refused = try cli.run(["kill", id, "--wait", wait])
            #expect(refused.status == 64, "--wait \(wait): \(refused.status) \(refused.stderr)")
            #expect(refused.stderr.contains("--wait"), "\(refused.stderr)")
        }
        #expect(try cli.run(["events"]).stdout == before)
    }

    @Test("a ForEach whose one iteration fails kills the others: the execution ends FAILED with no job running")
    func failedIterationKillsSiblings() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let run = try cli.run(
            [
                "run", CLI.fixture("foreach_one_fails.yaml"), "--endpoint", emulator.endpoint, "--secrets-file",
                CLI.sample("local.env"), "--json",
            ])
        #expect(run.status == 1, "\(run.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        #expect(report.state == "FAILED")
        #expect(report.tasks.first { $0.value == "3" }?.state == "FAILED")
        #expect(report.tasks.filter { $0.value != "3" }.allSatisfy { $0.state == "CANCELLED" }, "\(run.stdout)")
        let jobs = try emulator.jobStates()
        #expect(unfinished(jobs).isEmpty, "jobs left running: \(unfinished(jobs))")
        #expect(try cli.run(["verify"]).status == 0)
        let check = try cli.run(["replay", report.executionId, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
    }

    @Test("a refused job create in a wide ForEach: the creates in flight finish and their jobs are deleted")
    func refusedCreateLeavesNoJob() throws {
        let cli = try CLI()
        // Creates answer slowly, so that many are in flight when the fifth is refused.
        let emulator = try Emulator(cli, arguments: ["--faults", "jobs.create=400#5,jobs.create=latency:300ms"])
        let run = try cli.run(
            [
                "run", CLI.fixture("foreach_one_fails.yaml"), "--endpoint", emulator.endpoint, "--secrets-file",
                CLI.sample("local.env"), "--json",
            ])
        #expect(run.status == 3, "a Google API refused: \(run.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        #expect(report.state == "FAILED")
        let jobs = try emulator.jobStates()
        #expect(unfinished(jobs).isEmpty, "jobs left running: \(unfinished(jobs))")
        let stats = try emulator.stats()
        #expect(stats["jobsCreated"] as? Int == stats["jobsDeleted"] as? Int, "\(stats)")
    }

    @Test("serve kills an execution that a run in another process drives, and answers it KILLED")
    func serveKillsAnotherProcesssExecution() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let serve = try Serve(cli, backend: ["--endpoint", emulator.endpoint])
        defer { serve.stop() }
        let (run, id) = try startRun(cli, emulator, CLI.fixture("long_sleeper.yaml"))
        let killed = serve.call("DELETE", "/api/v1/main/executions/\(id)/kill", token: Serve.bob)
        #expect(killed.status == 200, "\(killed.text)")
        #expect((killed.object["state"] as? [String: Any])?["current"] as? String == "KILLED", "\(killed.text)")
        #expect(waitForExit(run) == 130, "\(run.stderr)")
        #expect(unfinished(try emulator.jobStates()).isEmpty)
        #expect(try finished(cli, id).contains("\"requestedBy\":\"bob\""))
        #expect(serve.call("DELETE", "/api/v1/main/executions/\(id)/kill").status == 409)
    }
}
