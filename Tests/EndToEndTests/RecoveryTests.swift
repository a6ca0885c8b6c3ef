import Engine
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Recovery, fork and point-in-time state, through the CLI against a standalone emulator whose jobs outlive the
/// client process.
@Suite("recover, resume, fork, show --at", .serialized)
struct RecoveryTests {
    /// Runs the flow until its N-th event is committed, then the process dies (the failpoint).
    func crash(_ cli: CLI, _ emulator: Emulator, _ flow: String, after events: Int) throws -> String {
        let result = try cli.run(
            ["run", flow, "--endpoint", emulator.endpoint, "--secrets-file", CLI.sample("local.env")],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": String(events)])
        #expect(result.status == 137, "the failpoint stops the run: \(result.stderr)")
        let id = try #require(result.stdout.split(separator: " ").dropFirst().first.map(String.init))
        return id
    }

    func trail(_ cli: CLI, _ id: String) throws -> String {
        try cli.run(["replay", id]).stdout
    }

    /// Polls the emulator until `done` holds for its jobs (their scripts are processes that end in their own time),
    /// for up to a minute; false if it never does.
    func waitForJobs(_ emulator: Emulator, until done: ([String: String]) -> Bool) throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if done(try emulator.jobStates()) { return true }
            usleep(50_000)
        }
        return false
    }

    @Test("a job still running is watched again from the stored log cursor: no line lost, none repeated")
    func runningJobIsWatched() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        // Events: started, attempt, rendered, create requested, created, then polls; by event 8 the job runs.
        let id = try crash(cli, emulator, CLI.fixture("slow_then_done.yaml"), after: 8)
        let recover = try cli.run(["recover", "--json"])
        #expect(recover.status == 0, "\(recover.stderr)")
        #expect(recover.stdout.contains("\"outcome\" : \"finished\""))
        let timeline = try trail(cli, id)
        #expect(
            timeline.contains(
                "Reconciled  slow attempt 1: recorded watching job; observed job RUNNING; watch it from the stored log cursor"
            ))
        let logs = try cli.run(["logs", id, "--task", "slow"]).stdout.split(separator: "\n").map {
            $0.split(separator: " ", maxSplits: 3).last.map(String.init) ?? ""
        }
        #expect(logs == ["line one", "line two"])
        #expect(try emulator.stats()["jobsCreated"] as? Int == 2, "one job per task, none recreated")
        #expect(try cli.run(["show", id]).stdout.contains("SUCCEEDED"))
    }

    @Test("a job that finished while nobody watched is collected")
    func finishedJobIsCollected() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let id = try crash(cli, emulator, CLI.fixture("slow_then_done.yaml"), after: 7)
        // The job finishes while nobody watches.
        #expect(try waitForJobs(emulator) { !$0.isEmpty && $0.values.allSatisfy { $0 == "SUCCEEDED" } })
        let recover = try cli.run(["resume", id])
        #expect(recover.status == 0, "\(recover.stderr)")
        let timeline = try trail(cli, id)
        #expect(timeline.contains("observed job SUCCEEDED; collect the results"))
        let show = try cli.run(["show", id, "--json"]).stdout
        #expect(show.contains("result.txt"))
        #expect(show.contains("\"state\" : \"SUCCEEDED\""))
    }

    @Test("a job whose creation was requested but not recorded is created once, with the same id")
    func createIntentIsResolved() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        // Event 4 is JobCreateRequested: the crash comes before the create call.
        let id = try crash(cli, emulator, CLI.fixture("slow_then_done.yaml"), after: 4)
        #expect(try emulator.stats()["jobsCreated"] as? Int == 0)
        #expect(try cli.run(["recover"]).status == 0)
        #expect(
            try trail(cli, id).contains(
                "recorded job create requested; observed no such job; create it (same job id and request id)"))
        #expect(try emulator.stats()["jobsCreated"] as? Int == 2)
    }

    @Test("a job Batch no longer knows fails its attempt, and the retry policy runs another")
    func vanishedJobIsRetried() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let id = try crash(cli, emulator, CLI.fixture("slow_then_done.yaml"), after: 8)
        // Someone deletes the job behind the ledger's back.
        let show = try cli.run(["replay", id]).stdout
        let job = try #require(
            show.split(separator: "\n").first { $0.contains("AttemptStarted") }?
                .split(separator: " ").first { $0.hasPrefix("companyteam-") }.map {
                    String($0).trimmingCharacters(in: CharacterSet(charactersIn: ","))
                })
        var request = URLRequest(
            url: URL(string: "\(emulator.endpoint)/v1/projects/local-project/locations/europe-west9/jobs/\(job)")!)
        request.httpMethod = "DELETE"
        let semaphore = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { _, _, _ in semaphore.signal() }.resume()
        semaphore.wait()
        // Deleting is an operation that ends once the job's process is gone.
        #expect(try waitForJobs(emulator) { $0.keys.allSatisfy { !$0.hasSuffix("/jobs/\(job)") } })
        #expect(try cli.run(["recover"]).status == 0)
        let timeline = try trail(cli, id)
        #expect(timeline.contains("observed job unknown to Batch (deleted, or expired)"))
        #expect(timeline.contains("slow attempt 2"))
        #expect(try cli.run(["show", id]).stdout.contains("slow  SUCCEEDED  attempts 2"))
    }

    @Test("two recover processes never drive the same execution")
    func twoRecoverers() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let id = try crash(cli, emulator, CLI.fixture("slow_then_done.yaml"), after: 8)
        let first = try cli.start(["recover", "--json"])
        let second = try cli.start(["recover", "--json"])
        first.process.waitUntilExit()
        second.process.waitUntilExit()
        #expect(first.process.terminationStatus == 0)
        #expect(second.process.terminationStatus == 0)
        let outcomes = [first.stdout, second.stdout]
        #expect(outcomes.filter { $0.contains("\"outcome\" : \"finished\"") }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0.contains("\"outcome\" : \"held\"") || $0.contains("already-terminal") }.count == 1)
        #expect(try trail(cli, id).components(separatedBy: "Reconciled").count - 1 == 1)
        #expect(try emulator.stats()["jobsCreated"] as? Int == 2)
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("show --at gives the state right after an event; fork reruns from a task with the parent's outcomes")
    func pointInTimeAndFork() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.sample("multi_task.yaml"))
        #expect(result.status == 0)
        let parent = try #require(report?.executionId)
        let timeline = try trail(cli, parent)
        let firstSuccess = try #require(
            timeline.split(separator: "\n").first { $0.contains("TaskSucceeded  generate") }?.split(separator: " ")
                .first)
        let early = try cli.run(["show", parent, "--at", String(firstSuccess), "--json"]).stdout
        #expect(early.contains("\"state\" : \"RUNNING\""))
        #expect(early.contains("\"id\" : \"generate\""))
        #expect(!early.contains("\"id\" : \"summarize\""))

        let fork = try cli.run(
            ["fork", parent, "--from", "summarize", "--local", "--secrets-file", CLI.sample("local.env"), "--json"])
        #expect(fork.status == 0, "\(fork.stderr)")
        let child = try #require(try? JSONDecoder().decode(Report.self, from: Data(fork.stdout.utf8)))
        #expect(child.executionId != parent)
        #expect(child.tasks.map(\.id) == ["generate", "summarize"])
        #expect(child.tasks[0].vars["rows"]?.text == "3", "generate's outcome comes from the parent")
        #expect(
            fork.stderr.contains("summarize | sum of squares: 14"), "summarize ran again, reading the parent's file")
        #expect(!fork.stderr.contains("generate  attempt"), "generate did not run again")
        #expect(try trail(cli, child.executionId).contains("forked from \(parent)"))
        #expect(try trail(cli, parent).contains("forked as \(child.executionId) from task summarize"))
        #expect(try cli.run(["verify"]).status == 0)
    }
}

@Suite("A recovery that fails", .serialized)
struct FailedRecoveryTests {
    @Test("is recorded, leaves the execution interrupted, and the next recover finishes it")
    func failedRecoveryIsRetried() throws {
        let cli = try CLI()
        let state = cli.folder.appendingPathComponent("emulator-state").path
        let port = String(try freePort())
        var emulator: Emulator? = try Emulator(cli, arguments: ["--port", port, "--state-dir", state])
        let endpoint = try #require(emulator?.endpoint)
        let crashed = try cli.run(
            ["run", CLI.fixture("slow_then_done.yaml"), "--endpoint", endpoint],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": "6"])
        #expect(crashed.status == 137)
        emulator = nil  // the emulator goes away

        let failed = try cli.run(["recover", "--json"])
        #expect(failed.status == 3)
        #expect(failed.stdout.contains("\"outcome\" : \"failed\""))
        let id = try #require(try cli.run(["executions"]).stdout.split(separator: " ").first.map(String.init))
        #expect(try cli.run(["replay", id]).stdout.contains("RecoveryFailed  recovery failed (1)"))
        #expect(try cli.run(["executions", "--json"]).stdout.contains("\"state\" : \"RUNNING\""))

        emulator = try Emulator(cli, arguments: ["--port", port, "--state-dir", state])
        let recovered = try cli.run(["recover"])
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(try cli.run(["show", id]).stdout.contains("· SUCCEEDED"))
        #expect(try cli.run(["verify"]).status == 0)
        _ = emulator
    }

    @Test("after five failed recoveries the execution is given up: FAILED, and recover no longer picks it")
    func failedRecoveriesAreCapped() throws {
        let cli = try CLI()
        let state = cli.folder.appendingPathComponent("emulator-state").path
        var emulator: Emulator? = try Emulator(
            cli, arguments: ["--port", String(try freePort()), "--state-dir", state])
        let endpoint = try #require(emulator?.endpoint)
        let crashed = try cli.run(
            ["run", CLI.fixture("slow_then_done.yaml"), "--endpoint", endpoint],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": "6"])
        #expect(crashed.status == 137)
        emulator = nil  // the emulator goes away for good
        let id = try #require(try cli.run(["executions"]).stdout.split(separator: " ").first.map(String.init))

        for attempt in 1...(ExecutionRunner.recoveryFailureCap - 1) {
            let failed = try cli.run(["recover", "--json"])
            #expect(failed.status == 3, "recovery \(attempt)")
            #expect(try cli.run(["executions", "--json"]).stdout.contains("\"state\" : \"RUNNING\""))
        }
        let last = try cli.run(["recover", "--json"])
        #expect(last.status == 3)
        let timeline = try cli.run(["replay", id]).stdout
        #expect(timeline.contains("recovery failed (\(ExecutionRunner.recoveryFailureCap)): "))
        #expect(timeline.contains("; given up"))
        #expect(timeline.components(separatedBy: "; given up").count == 2, "given up once, at the last failure")
        #expect(try cli.run(["executions", "--json"]).stdout.contains("\"state\" : \"FAILED\""))

        let after = try cli.run(["recover", "--json"])
        #expect(after.status == 0, "a given-up execution is not recovered again: \(after.stdout)")
        #expect(!after.stdout.contains("\"outcome\" : \"failed\""))
        #expect(try cli.run(["verify"]).status == 0)
    }

    func freePort() throws -> Int {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.featureUnsupported) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
