import Foundation
import Testing

@testable import LocalCloud

/// The `batchledger` binary built beside the test bundle.
private func batchledgerBinary() -> URL? {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("batchledger")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        folder.deleteLastPathComponent()
    }
    return nil
}

/// A `batchledger emulator` process whose output goes to a file.
private final class EmulatorProcess: @unchecked Sendable {
    let process = Process()
    let output: URL

    init(_ binary: URL, _ arguments: [String]) throws {
        output = temporaryDirectory("lc-cli").appendingPathComponent("out.txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = binary
        process.arguments = ["emulator"] + arguments
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: output.deletingLastPathComponent())
    }

    var text: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// The endpoint from the first line, waiting up to `timeout` seconds.
    /// The URL the emulator prints first; nil if it exits without printing it. The bound is only there so that a
    /// hung emulator fails the test instead of hanging the suite: a loaded machine may start it slowly.
    func endpoint(timeout: Double = 300) async throws -> URL? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = text.split(separator: "\n").first, line.hasPrefix("LocalCloud listening on ") {
                return URL(string: String(line.dropFirst("LocalCloud listening on ".count)))
            }
            if !process.isRunning { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

/// A client for an endpoint that is not an in-process LocalCloud.
private func client(_ endpoint: URL) async throws -> TestClient { TestClient(base: endpoint) }

/// Whether the object at `path` exists, looked for until it does (or a guard of ten minutes has passed).
private func waitForObject(_ api: TestClient, _ path: String) async -> Bool {
    let deadline = Date().addingTimeInterval(600)
    while Date() < deadline {
        if let answer = try? await api.get(path), answer.status == 200 { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return false
}

@Suite("batchledger emulator")
struct EmulatorCommandTests {
    @Test("prints its endpoint first, and a job survives the emulator being killed (SIGKILL) and restarted")
    func crashAndRestart() async throws {
        let binary = try #require(batchledgerBinary(), "build the batchledger product first")
        let state = temporaryDirectory("lc-cli-state")
        defer { try? FileManager.default.removeItem(at: state) }
        let first = try EmulatorProcess(binary, ["--port", "0", "--state-dir", state.path])
        let endpoint = try #require(try await first.endpoint(), "output: \(first.text)")
        let api = try await client(endpoint)
        // The script says it started, then waits for a gate the test opens only after the restart: it is
        // running across the crash however slow the machine is.
        let script =
            "touch /mnt/disks/share/started; until [ -e /mnt/disks/share/go ]; do sleep 0.05; done; "
            + "echo after-crash > /mnt/disks/share/result.txt"
        let created = try await api.send(
            "POST", "\(parent)/jobs?jobId=crash", json: shellJob(script, bucketPath: "crash"))
        #expect(created.status == 200)
        _ = try await waitForJob(api, "projects/p/locations/us-central1/jobs/crash", states: ["RUNNING"])
        #expect(
            await waitForObject(api, "/storage/v1/b/crash/o/started"), "the job's script is running")
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let second = try EmulatorProcess(binary, ["--port", "0", "--state-dir", state.path])
        defer {
            second.process.terminate()
            second.process.waitUntilExit()
        }
        let endpoint2 = try #require(try await second.endpoint(), "output: \(second.text)")
        let api2 = try await client(endpoint2)
        let gate = try await api2.send(
            "POST", "/upload/storage/v1/b/crash/o?uploadType=media&name=go", body: Data("go".utf8))
        #expect(gate.status == 200)
        let done = try await waitForJob(api2, "projects/p/locations/us-central1/jobs/crash")
        #expect(done["status"]?["state"] == .string("SUCCEEDED"))
        #expect(lastExitCode(done) == 0)
        let result = try await api2.get("/storage/v1/b/crash/o/result.txt?alt=media")
        #expect(result.text == "after-crash\n")
    }

    @Test("a bad --faults spec is refused with a message naming the rule")
    func badFaults() async throws {
        let binary = try #require(batchledgerBinary(), "build the batchledger product first")
        let bad = try EmulatorProcess(binary, ["--faults", "jobs.get=700"])
        bad.process.waitUntilExit()
        #expect(bad.process.terminationStatus != 0)
        #expect(bad.text.contains("jobs.get=700"))
    }
}
