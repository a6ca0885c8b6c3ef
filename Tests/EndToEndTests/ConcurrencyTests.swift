import Foundation
import Testing

/// A flow's `concurrency` limit across its executions in the ledger: past the limit a new execution waits for a
/// slot (QUEUE), ends CANCELLED (CANCEL) or FAILED (FAIL), and records the decision.
@Suite("flow concurrency: QUEUE, CANCEL, FAIL", .serialized)
struct ConcurrencyTests {
    /// One task that waits until `marker` exists (jobs see /var/tmp, not the test's /tmp).
    func flow(_ cli: CLI, behavior: String) throws -> String {
        let text = """
            id: limited
            namespace: company.team
            concurrency:
              limit: 1
              behavior: \(behavior)
            inputs:
              - id: marker
                type: STRING
            tasks:
              - id: wait
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: local-project
                  region: europe-west9
                commands:
                  - while [ ! -f '{{ inputs.marker }}' ]; do sleep 0.05; done

            """
        let path = cli.folder.appendingPathComponent("limited-\(behavior).yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func types(_ cli: CLI, _ emulator: Emulator, execution: String? = nil) throws -> [String] {
        try cli.run(["audit", "--json"] + (execution.map { ["--execution", $0] } ?? [])).stdout
            .split(separator: "\n").compactMap {
                (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
            }
    }

    /// Starts the first execution and returns once its job runs (it holds the one slot).
    func holdSlot(_ cli: CLI, _ emulator: Emulator, _ flow: String, marker: String) throws -> CLI.Running {
        let first = try cli.start(
            [
                "run", flow, "--endpoint", emulator.endpoint, "--secrets-file", CLI.sample("local.env"), "--input",
                "marker=\(marker)",
            ])
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, !(try types(cli, emulator).contains("JobCreated")) { usleep(50_000) }
        #expect(try types(cli, emulator).contains("JobCreated"), "the first execution never created its job")
        return first
    }

    @Test(
        "past the limit, CANCEL ends the new execution CANCELLED and FAIL ends it FAILED, without a job",
        arguments: [("CANCEL", Int32(130), "CANCELLED"), ("FAIL", Int32(1), "FAILED")])
    func refused(behavior: String, status: Int32, state: String) throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let marker = "/var/tmp/batchledger-limit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let flow = try flow(cli, behavior: behavior)
        let first = try holdSlot(cli, emulator, flow, marker: marker)
        let second = try cli.run(
            [
                "run", flow, "--endpoint", emulator.endpoint, "--secrets-file", CLI.sample("local.env"), "--input",
                "marker=\(marker)", "--json",
            ])
        #expect(second.status == status, "\(second.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(second.stdout.utf8))
        #expect(report.state == state && report.tasks.isEmpty)
        let trail = try types(cli, emulator, execution: report.executionId)
        #expect(trail == ["ExecutionStarted", "ConcurrencyRefused", "ExecutionFinished"], "\(trail)")
        FileManager.default.createFile(atPath: marker, contents: Data())
        first.process.waitUntilExit()
        #expect(first.process.terminationStatus == 0, "\(first.stderr)")
        #expect(
            try cli.run(["replay", report.executionId, "--check", "--secrets-file", CLI.sample("local.env")]).status
                == 0)
    }

    @Test("past the limit, QUEUE waits for the running execution to end, then takes its slot and runs")
    func queued() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let marker = "/var/tmp/batchledger-limit-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let flow = try flow(cli, behavior: "QUEUE")
        let first = try holdSlot(cli, emulator, flow, marker: marker)
        let second = try cli.start(
            [
                "run", flow, "--endpoint", emulator.endpoint, "--secrets-file", CLI.sample("local.env"), "--input",
                "marker=\(marker)", "--json",
            ])
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, !(try types(cli, emulator).contains("ConcurrencyQueued")) {
            usleep(50_000)
        }
        #expect(try types(cli, emulator).contains("ConcurrencyQueued"), "the second execution never queued")
        #expect(try types(cli, emulator).filter { $0 == "JobCreated" }.count == 1)
        let waiting = try cli.run(["executions", "--json"]).stdout
        #expect(waiting.contains("RUNNING"))
        FileManager.default.createFile(atPath: marker, contents: Data())
        first.process.waitUntilExit()
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus == 0, "\(second.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(second.stdout.utf8))
        let trail = try types(cli, emulator, execution: report.executionId)
        let queuedAt = try #require(trail.firstIndex(of: "ConcurrencyQueued"))
        let takenAt = try #require(trail.firstIndex(of: "ConcurrencySlotTaken"))
        #expect(queuedAt < takenAt && takenAt < (trail.firstIndex(of: "AttemptStarted") ?? 0), "\(trail)")
        #expect(report.state == "SUCCEEDED")
        #expect(
            try cli.run(["replay", report.executionId, "--check", "--secrets-file", CLI.sample("local.env")]).status
                == 0)
    }
}
