import Engine
import Foundation
import Ledger
import Testing

/// The built `batchledger` binary, run as a user runs it, against LocalCloud on 127.0.0.1.
@Suite("batchledger run, end to end", .serialized)
struct RunTests {
    @Test("Kestra's sample: outputs, environment_info.json, a verified ledger, and no secret anywhere")
    func kestraSample() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.sample("gcp_batch_runner.yaml"))
        #expect(result.status == 0, "\(result.stderr)")
        let run = try #require(report)
        #expect(run.state == "SUCCEEDED")
        let task = try #require(run.tasks.first)
        #expect(task.id == "scrape_environment_info")
        #expect(Set(task.vars.keys) == ["host", "platform", "OS", "python_version"])
        #expect(task.exitCode == 0)
        let file = try #require(task.outputFiles["environment_info.json"])
        let info = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: String])
        #expect(info["OS"] == task.vars["OS"]?.text)
        #expect(result.stderr.contains("scrape_environment_info | Hello from GCP Batch and kestra!"))
        #expect(
            result.stderr.hasPrefix(
                "execution \(run.executionId) · flow company.team/gcp_batch_runner · Google Batch (local emulator"))

        let verify = try cli.run(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
        let show = try cli.run(["show", run.executionId, "--json"])
        #expect(show.stdout == result.stdout, "show --json prints the document run --json printed")

        // The secrets of Samples/local.env: none may appear in the ledger, the JSON or the terminal output.
        let secrets = try String(contentsOfFile: CLI.sample("local.env"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }
            .compactMap { $0.split(separator: "=", maxSplits: 1).last.map(String.init) }
        let keyLine = try #require(
            secrets.last.flatMap { $0.range(of: "PRIVATE KEY-----\\n") }.map {
                secrets.last![$0.upperBound...].prefix(40)
            })
        let ledger = String(decoding: cli.ledgerBytes(), as: UTF8.self)
        for secret in ["local-project", "batchledger-local", String(keyLine)] {
            #expect(!ledger.contains(secret), "the ledger holds \(secret)")
            #expect(!result.stdout.contains(secret))
            #expect(!result.stderr.contains(secret))
        }
    }

    @Test("outputs and output files pass from one task to the next")
    func multiTask() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.sample("multi_task.yaml"), ["--input", "rows=4"])
        #expect(result.status == 0, "\(result.stderr)")
        let run = try #require(report)
        #expect(run.tasks.map(\.id) == ["generate", "summarize"])
        #expect(run.tasks[0].vars["rows"]?.text == "4")
        #expect(result.stderr.contains("summarize | the first task wrote 4 rows"))
        #expect(result.stderr.contains("summarize | sum of squares: 30"))
        let summary = try #require(run.tasks[1].outputFiles["report/summary.txt"])
        #expect(try String(contentsOfFile: summary, encoding: .utf8) == "sum of squares: 30\n")
        #expect(run.tasks[1].vars["summary"]?.text == "done")
        let csv = try #require(run.tasks[0].outputFiles["data.csv"])
        #expect(try String(contentsOfFile: csv, encoding: .utf8).hasPrefix("n,square"))
    }

    @Test("a ForEach gives one task run per value, with the value")
    func forEach() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.sample("foreach.yaml"))
        #expect(result.status == 0, "\(result.stderr)")
        let run = try #require(report)
        #expect(run.tasks.count == 3)
        #expect(Set(run.tasks.map(\.id)) == ["probe"])
        #expect(Set(run.tasks.compactMap(\.value)) == ["us-central1", "europe-west9", "asia-east1"])
        for task in run.tasks { #expect(task.vars["region"]?.text == task.value) }
        #expect(Set(run.tasks.compactMap(\.jobName)).count == 3)
    }

    @Test("a failing task keeps what it printed before failing and reports the container's exit code")
    func failing() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.sample("failing.yaml"))
        #expect(result.status == 1)
        let run = try #require(report)
        #expect(run.state == "FAILED")
        #expect(run.tasks.count == 1, "the task after the failure never ran")
        #expect(run.tasks[0].exitCode == 3)
        #expect(run.tasks[0].vars["progress"]?.text == "half done")
        #expect(run.tasks[0].failureReason?.contains("exit code 3") == true)
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("output files by glob: * stays in its folder, ** crosses folders")
    func globs() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.fixture("globs.yaml"))
        #expect(result.status == 0, "\(result.stderr)")
        let files = try #require(report?.tasks.first?.outputFiles)
        #expect(Set(files.keys) == ["top.csv", "out/a/b/deep.txt", "out/shallow.txt"])
        #expect(try String(contentsOfFile: files["out/a/b/deep.txt"]!, encoding: .utf8) == "nested\n")
    }

    @Test("a line on stderr makes the task WARNING, and the run still exits 0")
    func stderrWarning() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.fixture("stderr_warning.yaml"))
        #expect(result.status == 0)
        #expect(report?.state == "WARNING")
        #expect(report?.tasks.first?.state == "WARNING")
        #expect(result.stderr.contains("warns ! but this went to stderr"))
    }

    @Test("a task that outlives its timeout is stopped and fails")
    func timeout() throws {
        let cli = try CLI()
        // The task sleeps 60 s under a 2 s timeout: exit code 50005 and the reason show the limit ended it.
        let (result, report) = try cli.runLocal(CLI.fixture("timeout.yaml"))
        #expect(result.status == 1)
        let task = try #require(report?.tasks.first)
        #expect(task.state == "FAILED")
        #expect(task.exitCode == 50005)
        #expect(task.failureReason?.contains("maxRunDuration") == true)
    }

    @Test("a bad flow, a missing secret and an unreachable endpoint exit 2, 2 and 3 with one line, ledger intact")
    func userErrors() throws {
        let cli = try CLI()
        let (good, _) = try cli.runLocal(CLI.fixture("stderr_warning.yaml"))
        #expect(good.status == 0)

        let bad = try cli.run(["run", CLI.fixture("bad_flow.yaml"), "--local"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad_flow.yaml:2:12: namespace 'Company.Team' is invalid"))
        #expect(bad.stderr.contains("bad_flow.yaml:8:15: template must be quoted"))

        let missing = try cli.run(["run", CLI.fixture("missing_secret.yaml"), "--local"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("missing_secret.yaml:"))
        #expect(missing.stderr.contains("NO_SUCH_SECRET"))

        let unreachable = try cli.run(
            [
                "run", CLI.fixture("stderr_warning.yaml"), "--endpoint", "http://127.0.0.1:9", "--secrets-file",
                CLI.sample("local.env"),
            ])
        #expect(unreachable.status == 3)
        #expect(unreachable.stderr.contains("127.0.0.1:9"))

        let noCloud = try cli.run(
            ["run", CLI.fixture("stderr_warning.yaml")],
            environment: [
                "HOME": cli.folder.path, "GOOGLE_APPLICATION_CREDENTIALS": "", "CLOUDSDK_CONFIG": cli.folder.path,
            ])
        #expect(noCloud.status == 2)
        #expect(noCloud.stderr.contains("--local"))

        let verify = try cli.run(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
        let executions = try cli.run(["executions", "--json"])
        #expect(executions.status == 0)
    }

    @Test("a SPOT job preempted by Batch is retried, and the run succeeds")
    func preemptionRetry() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli, arguments: ["--faults", "job:preempt"])
        let result = try cli.run(["run", CLI.fixture("spot.yaml"), "--endpoint", emulator.endpoint, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)))
        #expect(report.tasks.first?.attempts == 2)
        #expect(report.tasks.first?.state == "SUCCEEDED")
        #expect(result.stderr.contains("exit code 50001"))
        #expect(try emulator.stats()["jobsCreated"] as? Int == 2)
    }

    @Test("Ctrl-C deletes the running job, cleans up, records the cancellation and exits 130")
    func interrupt() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let running = try cli.start(["run", CLI.fixture("sleeper.yaml"), "--endpoint", emulator.endpoint])
        let deadline = ContinuousClock.now + .seconds(30)
        while !running.stdout.contains("RUNNING") && ContinuousClock.now < deadline { usleep(50_000) }
        #expect(running.stdout.contains("RUNNING"))
        kill(running.process.processIdentifier, SIGINT)
        running.process.waitUntilExit()
        #expect(running.process.terminationStatus == 130, "\(running.stderr)")
        let stats = try emulator.stats()
        #expect(stats["jobsDeleted"] as? Int == 1)
        let executions = try cli.run(["executions", "--json"]).stdout
        #expect(executions.contains("\"state\" : \"CANCELLED\""))
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("a 500-task ForEach runs every iteration")
    func fanOut() throws {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(CLI.fixture("fanout_500.yaml"))
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let run = try #require(report)
        #expect(run.tasks.count == 500)
        #expect(run.tasks.allSatisfy { $0.state == "SUCCEEDED" && $0.vars["n"]?.text == $0.value })
        #expect(try cli.run(["verify"]).status == 0)
    }
}

@Suite("Transient Google errors", .serialized)
struct TransientErrorTests {
    @Test("bursts of 429 and 503 on every API are absorbed by the retries, and each retry is recorded")
    func burstsAbsorbed() throws {
        let cli = try CLI()
        let emulator = try Emulator(
            cli,
            arguments: [
                "--faults",
                "jobs.create=503x2,jobs.get=429x3,objects.insert=503x2,objects.list=500x1,entries.list=429x2,tasks.list=503x1,objects.download=503x1",
            ])
        let result = try cli.run(
            [
                "run", CLI.sample("multi_task.yaml"), "--endpoint", emulator.endpoint, "--secrets-file",
                CLI.sample("local.env"),
                "--json",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)))
        #expect(report.state == "SUCCEEDED")
        #expect(report.tasks.allSatisfy { $0.attempts == 1 }, "retries of calls are not new attempts")
        let stats = try emulator.stats()
        #expect(stats["jobsCreated"] as? Int == 2, "a retried jobs.create made no duplicate job")
        #expect((stats["faultsInjected"] as? Int ?? 0) >= 10)
        let trail = try cli.run(["logs", report.executionId])
        #expect(trail.stdout.contains("sum of squares: 14"))
        // Each absorbed failure is an APICallRetried event in the ledger.
        let store = String(decoding: cli.ledgerBytes(), as: UTF8.self)
        #expect(store.components(separatedBy: "APICallRetried").count - 1 >= 10)
        // Each is recorded against the task run whose call it was, in order: a call's failed attempts count up.
        let ledger = try EventStore(path: cli.ledger, options: .init(readOnly: true))
        var retries: [APICallRetried] = []
        try ledger.readStream(report.executionId) { recorded in
            if case .apiCallRetried(let retry) = try ExecutionEvent.decode(recorded) { retries.append(retry) }
        }
        #expect(retries.count >= 10)
        #expect(retries.allSatisfy { ["generate", "summarize"].contains($0.taskRunId ?? "") }, "\(retries)")
        var lastAttempt: [String: Int] = [:]
        for retry in retries {
            let key = (retry.taskRunId ?? "") + " " + retry.call
            #expect(retry.failedAttempt > lastAttempt[key, default: 0], "\(retry.call) out of order")
            lastAttempt[key] = retry.failedAttempt
        }
    }
}
