import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Task-runner properties that change what a run does: `impersonatedServiceAccount`, `accelerators[].driverVersion`,
/// `syncWorkingDirectory`, `{{ outputDir }}` and `resume: false`, through the CLI against a standalone emulator.
@Suite("Task runner properties", .serialized)
struct RunnerPropertiesTests {
    static let account = "runner@local-project.iam.gserviceaccount.com"

    func get(_ url: String) throws -> [String: Any] {
        let semaphore = DispatchSemaphore(value: 0)
        let box = Emulator.Box()
        URLSession.shared.dataTask(with: URL(string: url)!) { data, _, _ in
            box.data = data
            semaphore.signal()
        }.resume()
        semaphore.wait()
        let data = try #require(box.data)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func runOn(_ cli: CLI, _ emulator: Emulator, _ flow: String) throws -> (CLI.Result, Report) {
        let result = try cli.run(
            ["run", flow, "--endpoint", emulator.endpoint, "--secrets-file", CLI.sample("local.env"), "--json"])
        let report = try #require(
            try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)), "\(result.stderr)")
        return (result, report)
    }

    @Test(
        "impersonation, driverVersion, {{ outputDir }} keys and syncWorkingDirectory in one run, which replays as recorded"
    )
    func properties() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let (result, report) = try runOn(cli, emulator, CLI.fixture("runner_properties.yaml"))
        #expect(result.status == 0, "\(result.stderr)")
        let task = try #require(report.tasks.first)
        // {{ outputDir }}/a.txt is outputFiles["a.txt"]; the working directory's new and changed files come back
        // with syncWorkingDirectory, the input the job left alone does not.
        #expect(task.outputFiles.keys.sorted() == ["a.txt", "changed.txt", "made.txt", "nested/b.txt"])
        #expect(task.outputFiles["a.txt"]?.hasSuffix("/write/a.txt") == true)
        #expect(try String(contentsOfFile: try #require(task.outputFiles["nested/b.txt"]), encoding: .utf8) == "b\n")

        let stats = try emulator.stats()
        #expect(stats["generateAccessToken"] as? Int == 1, "one token, cached for every call: \(stats)")
        let requests = try #require(stats["requests"] as? [String: Int])
        let callers = try #require(stats["callers"] as? [String: Int])
        let otherCalls = requests.filter { $0.key != "generateAccessToken" }.values.reduce(0, +)
        #expect(callers == [Self.account: otherCalls], "every Batch, Storage and Logging call as the account")

        // delete: false keeps the job, so what was sent can be read back.
        let job = try get(
            "\(emulator.endpoint)/v1/projects/local-project/locations/europe-west9/jobs/\(try #require(task.jobName))")
        let policy = (job["allocationPolicy"] as? [String: Any])?["instances"] as? [[String: Any]]
        let accelerators = (policy?.first?["policy"] as? [String: Any])?["accelerators"] as? [[String: Any]]
        #expect(accelerators?.first?["driverVersion"] as? String == "535.104.05")
        #expect(accelerators?.first?["type"] as? String == "nvidia-tesla-t4")

        let timeline = try cli.run(["replay", report.executionId]).stdout
        #expect(timeline.contains(Self.account), "the attempt records whom it impersonated")
        let check = try cli.run(["replay", report.executionId, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(!cli.ledgerBytes().contains(Data("ya29.localcloud".utf8)), "no token in the ledger")
        #expect(!result.stderr.contains("ya29."))
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test(
        "{{ outputDir }}: its id recorded before anything is created, its files collected after a crash at any step",
        arguments: [2, 3, 4, 5, 6, 8])
    func outputDirectoryAcrossACrash(after events: Int) throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let crashed = try cli.run(
            ["run", CLI.fixture("output_dir_slow.yaml"), "--endpoint", emulator.endpoint],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": String(events)])
        #expect(crashed.status == 137, "the failpoint stops the run: \(crashed.stderr)")
        let id = try #require(crashed.stdout.split(separator: " ").dropFirst().first.map(String.init))
        let recover = try cli.run(["recover"])
        #expect(recover.status == 0, "\(recover.stderr)")
        let show = try cli.run(["show", id, "--json"]).stdout
        let report = try #require(try? JSONDecoder().decode(Report.self, from: Data(show.utf8)), "\(show)")
        #expect(report.state == "SUCCEEDED")
        #expect(report.tasks.first?.outputFiles.keys.sorted() == ["a.txt", "nested/b.txt"], "\(show)")
        #expect(try emulator.stats()["jobsCreated"] as? Int == 1, "one job, none recreated")
        let events = try cli.run(["events", id, "--json"]).stdout
        #expect(events.contains("\"outputDirId\""), "the output directory's id is in AttemptStarted")
        let check = try cli.run(["replay", id, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test(
        "resume: false: a recovered attempt's job is deleted and the task runs again with a new job",
        arguments: [4, 5, 7])
    func resumeFalse(after events: Int) throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        // Events: started, attempt, rendered, create requested, created, then polls: by event 7 the job runs.
        let crashed = try cli.run(
            ["run", CLI.fixture("no_resume.yaml"), "--endpoint", emulator.endpoint],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": String(events)])
        #expect(crashed.status == 137, "\(crashed.stderr)")
        let id = try #require(crashed.stdout.split(separator: " ").dropFirst().first.map(String.init))
        let recover = try cli.run(["recover"])
        #expect(recover.status == 0, "\(recover.stderr)")
        let timeline = try cli.run(["replay", id]).stdout
        #expect(timeline.contains("delete the job and run the task again as a new attempt (resume is false)"))
        #expect(timeline.contains("slow attempt 2"))
        let stats = try emulator.stats()
        #expect(stats["jobsCreated"] as? Int == (events == 4 ? 1 : 2), "never the old job reattached: \(stats)")
        #expect(events == 4 || (stats["jobsDeleted"] as? Int ?? 0) >= 1, "the old job was deleted")
        let show = try cli.run(["show", id, "--json"]).stdout
        let report = try #require(try? JSONDecoder().decode(Report.self, from: Data(show.utf8)), "\(show)")
        #expect(report.state == "SUCCEEDED")
        #expect(report.tasks.first?.attempts == 2)
        #expect(report.tasks.first?.outputFiles.keys.sorted() == ["result.txt"])
        // The replay stops where the run was interrupted and resumes as recovery did.
        let check = try cli.run(["replay", id, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(try cli.run(["verify"]).status == 0)
    }

    @Test("resume: false, crashed while the replacement is under way: it is finished, once", arguments: [8, 9, 10])
    func resumeFalseCrashDuringReplacement(after events: Int) throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        _ = try cli.run(
            ["run", CLI.fixture("no_resume.yaml"), "--endpoint", emulator.endpoint],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": "7"])
        let id = try #require(try cli.run(["executions"]).stdout.split(separator: " ").first.map(String.init))
        // The recovery itself is interrupted: 7 events, then Reconciled, JobDeleteRequested, JobDeleted …
        let interrupted = try cli.run(["recover"], environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": String(events - 7)])
        #expect(interrupted.status == 137, "\(interrupted.stderr)")
        let recover = try cli.run(["recover"])
        #expect(recover.status == 0, "\(recover.stderr)")
        let show = try cli.run(["show", id, "--json"]).stdout
        let report = try #require(try? JSONDecoder().decode(Report.self, from: Data(show.utf8)), "\(show)")
        #expect(report.state == "SUCCEEDED")
        #expect(report.tasks.first?.attempts == 2, "\(show)")
        #expect(try emulator.stats()["jobsCreated"] as? Int == 2)
        let check = try cli.run(["replay", id, "--check", "--secrets-file", CLI.sample("local.env")])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(try cli.run(["verify"]).status == 0)
    }
}
