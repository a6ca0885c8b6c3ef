import Foundation
import Testing

@testable import LocalCloud

@Suite("State directory")
struct StateDirectoryTests {
    @Test("jobs, objects and logs survive a restart")
    func survivesRestart() async throws {
        let state = temporaryDirectory("lc-state")
        defer { try? FileManager.default.removeItem(at: state) }
        let configuration = LocalCloudConfiguration(stateDirectory: state)
        let uid = try await withCloud(configuration) { _, client in
            _ = try await client.send(
                "POST", "/upload/storage/v1/b/keep/o?uploadType=media&name=a.txt", body: Data("kept".utf8))
            _ = try await client.send(
                "POST", "\(parent)/jobs?jobId=persisted&requestId=req-1", json: shellJob("echo persisted-line"))
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/persisted")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
            return done["uid"]!.stringValue!
        }
        try await withCloud(configuration) { _, client in
            let job = try await client.get("\(parent)/jobs/persisted")
            #expect(job.json["status"]?["state"] == .string("SUCCEEDED"))
            #expect(job.json["uid"]?.stringValue == uid)
            #expect(try await client.get("/storage/v1/b/keep/o/a.txt?alt=media").text == "kept")
            let logs = try await client.send(
                "POST", "/v2/entries:list",
                json: .object([
                    "resourceNames": .array([.string("projects/p")]), "filter": .string("labels.job_uid=\"\(uid)\""),
                ]))
            #expect(logs.json["entries"]?.arrayValue?.first?["textPayload"] == .string("persisted-line"))
            let replay = try await client.send(
                "POST", "\(parent)/jobs?jobId=persisted&requestId=req-1", json: shellJob("echo persisted-line"))
            #expect(replay.status == 200, "the requestId is remembered across the restart")
            #expect(try await client.get("/_emulator/stats").json["jobsCreated"] == .int(0))
        }
    }

    @Test("a job keeps running while the emulator is gone, and the restarted emulator collects its exit code")
    func adoptsRunningJob() async throws {
        let state = temporaryDirectory("lc-state")
        defer { try? FileManager.default.removeItem(at: state) }
        let configuration = LocalCloudConfiguration(stateDirectory: state)
        let first = try await LocalCloud.start(configuration)
        let client = TestClient(first)
        _ = try await client.send(
            "POST", "\(parent)/jobs?jobId=survivor",
            // The job runs until the test lets it end (an object `go` in its bucket), however slow the machine.
            json: shellJob(
                "until [ -e /mnt/disks/share/go ]; do sleep 0.1; done; echo done > /mnt/disks/share/marker.txt; exit 4",
                bucketPath: "surv"))
        _ = try await waitForJob(client, "projects/p/locations/us-central1/jobs/survivor", states: ["RUNNING"])
        // A job turns RUNNING before its process starts (as on Batch); the emulator goes away only once the
        // process is under way and recorded in the state directory, which is what a restart adopts.
        #expect(await waitForRecordedProcess(in: state), "the job's process was never recorded")
        await first.abandon()
        let second = try await LocalCloud.start(configuration)
        let client2 = TestClient(second)
        #expect(try await client2.get("\(parent)/jobs/survivor").json["status"]?["state"] == .string("RUNNING"))
        let go = try await client2.send(
            "POST", "/upload/storage/v1/b/surv/o?uploadType=media&name=go", body: Data("go".utf8))
        #expect(go.status == 200)
        let done = try await waitForJob(client2, "projects/p/locations/us-central1/jobs/survivor")
        #expect(done["status"]?["state"] == .string("FAILED"))
        #expect(lastExitCode(done) == 4, "the exit code written while no emulator watched")
        await second.shutdown()
    }

    @Test("a second emulator on the same state directory is refused with a message")
    func exclusive() async throws {
        let state = temporaryDirectory("lc-state")
        defer { try? FileManager.default.removeItem(at: state) }
        try await withCloud(LocalCloudConfiguration(stateDirectory: state)) { _, _ in
            do {
                let second = try await LocalCloud.start(LocalCloudConfiguration(stateDirectory: state))
                await second.shutdown()
                Issue.record("the second emulator started")
            } catch {
                #expect("\(error)".contains("in use by another LocalCloud emulator (pid \(getpid()))"))
            }
        }
        let third = try await LocalCloud.start(LocalCloudConfiguration(stateDirectory: state))
        await third.shutdown()
    }

    @Test("a running job whose process died with the emulator is failed with an event saying so")
    func failsLostJob() async throws {
        let state = temporaryDirectory("lc-state")
        defer { try? FileManager.default.removeItem(at: state) }
        let configuration = LocalCloudConfiguration(stateDirectory: state)
        try await withCloud(configuration) { _, client in
            _ = try await client.send("POST", "\(parent)/jobs?jobId=lost", json: shellJob("sleep 3034"))
            _ = try await waitForJob(client, "projects/p/locations/us-central1/jobs/lost", states: ["RUNNING"])
            #expect(await waitForProcesses(running: ["sleep", "3034"], count: 1))
        }
        try await withCloud(configuration) { _, client in
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/lost")
            #expect(done["status"]?["state"] == .string("FAILED"))
            let descriptions = (done["status"]?["statusEvents"]?.arrayValue ?? []).compactMap {
                $0["description"]?.stringValue
            }
            #expect(descriptions.contains { $0.contains("restarted") })
        }
    }
}

/// Waits until a job record in the state directory names a running process (its pid and start time); false if
/// none does within `timeout` seconds (a bound only against a hung emulator).
private func waitForRecordedProcess(in state: URL, timeout: Double = 300) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let files = FileManager.default.enumerator(at: state, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            if let text = try? String(contentsOf: file, encoding: .utf8), text.contains("\"pidStartTicks\"") {
                return true
            }
        }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return false
}
