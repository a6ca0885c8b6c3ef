import Foundation
import Testing

@testable import LocalCloud

/// A Batch service on its own (no HTTP server), with the given limits and a fault plan that keeps every job
/// QUEUED, so creating many jobs starts no process.
func boundedBatch(_ limits: LocalCloudLimits, work: URL) throws -> BatchService {
    let now: @Sendable () -> Date = { Date() }
    return BatchService(
        .init(
            storage: try StorageService(root: work.appendingPathComponent("storage"), now: now),
            logs: try LogStore(stateDirectory: nil, now: now), stats: EmulatorStats(),
            faults: FaultInjector(
                plan: FaultPlan(jobRules: [.init(kind: .stuckQueued, jobIDPrefix: "q", after: .zero)])),
            python: PythonEnvironment(cacheDirectory: work.appendingPathComponent("python")),
            sandbox: .unavailable("no jobs run in this test"), startupDelay: .zero, stateDirectory: nil,
            workDirectory: work.appendingPathComponent("work"), now: now, limits: limits))
}

/// A job body with `tasks` tasks.
func queuedJob(tasks: Int = 1, script: String = "true") -> JSONValue {
    .object([
        "taskGroups": .array([
            .object([
                "taskCount": .int(Int64(tasks)),
                "taskSpec": .object(["runnables": .array([.object(["script": .object(["text": .string(script)])])])]),
            ])
        ])
    ])
}

@Suite("Limits")
struct LimitsTests {
    @Test("a JSON body over 8 MiB gets Google's 413 naming the bound and how to raise it; 8 MiB itself is read")
    func requestBodyBound() async throws {
        try await withCloud { _, client in
            let padding = String(repeating: "x", count: 8 << 20)
            var big = shellJob("true")
            big["labels"] = .object(["pad": .string(padding)])
            let refused = try await client.send("POST", "\(parent)/jobs?jobId=too-big", json: big)
            #expect(refused.status == 413)
            let message = refused.json["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("8 MiB") && message.contains("--max-request-bytes"), "\(message)")
            #expect(refused.json["error"]?["details"]?.arrayValue?.first?["reason"] == .string("requestTooLarge"))
            #expect(try await client.get("\(parent)/jobs/too-big").status == 404)
            let logging = try await client.send(
                "POST", "/v2/entries:list", body: Data(count: (8 << 20) + 1),
                headers: ["Content-Type": "application/json"])
            #expect(logging.status == 413)
            // A resumable session's start is JSON metadata too, bounded the same way.
            let session = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=resumable&name=a.bin", body: Data(count: (8 << 20) + 1),
                headers: ["Content-Type": "application/json"])
            #expect(session.status == 413)
            // Just under the bound is read and judged on its content (a 400 for its 8 MiB filter).
            let fits = try await client.send(
                "POST", "/v2/entries:list",
                body: Data(
                    "{\"resourceNames\":[\"projects/p\"],\"filter\":\"\(String(repeating: " ", count: (8 << 20) - 64))\"}"
                        .utf8),
                headers: ["Content-Type": "application/json"])
            #expect(fits.status == 400, "read, then refused for its 8 MiB filter, not for its size")
            #expect(fits.json["error"]?["message"]?.stringValue?.contains("filter") == true)
        }
    }

    @Test("past maxJobs a create gets 429 RESOURCE_EXHAUSTED naming the bound; a deleted job frees its place")
    func jobCountBound() async throws {
        let work = temporaryDirectory("lc-limits")
        defer { try? FileManager.default.removeItem(at: work) }
        let batch = try boundedBatch(LocalCloudLimits(maxJobs: 3), work: work)
        for index in 0..<3 {
            _ = try await batch.create(
                project: "p", location: "l", jobID: "q\(index)", requestID: nil, body: queuedJob(), integerEnums: false)
        }
        do {
            _ = try await batch.create(
                project: "p", location: "l", jobID: "q3", requestID: nil, body: queuedJob(), integerEnums: false)
            Issue.record("the fourth job should be refused")
        } catch {
            #expect(error.httpStatus == 429)
            #expect(error.status == "RESOURCE_EXHAUSTED")
            #expect(error.message.contains("maxJobs") && error.message.contains("--max-jobs"), "\(error.message)")
        }
        _ = try await batch.delete("projects/p/locations/l/jobs/q0", requestID: nil)
        let deadline = Date().addingTimeInterval(30)
        while await batch.jobs.count == 3, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        _ = try await batch.create(
            project: "p", location: "l", jobID: "q3", requestID: nil, body: queuedJob(), integerEnums: false)
        #expect(await batch.jobs.count == 3)
    }

    @Test("past maxTasks or maxJobBytes a create gets 429 naming the bound")
    func taskAndByteBounds() async throws {
        let work = temporaryDirectory("lc-limits")
        defer { try? FileManager.default.removeItem(at: work) }
        let batch = try boundedBatch(LocalCloudLimits(maxTasks: 10, maxJobBytes: 20_000), work: work)
        _ = try await batch.create(
            project: "p", location: "l", jobID: "q-six", requestID: nil, body: queuedJob(tasks: 6), integerEnums: false)
        do {
            _ = try await batch.create(
                project: "p", location: "l", jobID: "q-five", requestID: nil, body: queuedJob(tasks: 5),
                integerEnums: false)
            Issue.record("6 + 5 tasks pass maxTasks 10")
        } catch {
            #expect(error.httpStatus == 429)
            #expect(error.message.contains("maxTasks"), "\(error.message)")
        }
        do {
            _ = try await batch.create(
                project: "p", location: "l", jobID: "q-long", requestID: nil,
                body: queuedJob(script: String(repeating: "#", count: 30_000)), integerEnums: false)
            Issue.record("a 30 kB job passes maxJobBytes 20,000")
        } catch {
            #expect(error.httpStatus == 429)
            #expect(error.message.contains("maxJobBytes"), "\(error.message)")
        }
    }

    @Test("the default bounds hold 10,000 jobs and a 1,000-way ForEach's logs")
    func defaultsHoldTheBenchmarks() async throws {
        let work = temporaryDirectory("lc-limits")
        defer { try? FileManager.default.removeItem(at: work) }
        let batch = try boundedBatch(.default, work: work)
        for index in 0..<10_001 {
            _ = try await batch.create(
                project: "p", location: "l", jobID: "q\(index)", requestID: "r\(index)", body: queuedJob(),
                integerEnums: false)
        }
        #expect(await batch.jobs.count == 10_001)
        let logs = try LogStore(stateDirectory: nil, now: { Date() })
        let lines = (0..<100).map { "line \($0) of a task that says something a little longer than a word" }
        for task in 0..<1_000 {
            await logs.append(
                lines: lines, severity: "INFO", project: "p", jobUID: "job-\(task)", taskID: "job-\(task)-group0-0",
                jobLabels: [:], location: "l")
        }
        let last = await logs.list(
            resourceNames: ["projects/p"], filter: nil, descending: true, pageSize: 1, pageToken: nil)
        #expect(last.entries.first?.textPayload == lines.last)
        #expect(last.entries.first?.severity == "INFO", "no line was dropped")
    }

    @Test("past maxLogEntries or maxLogBytes lines are dropped and each job gets one ERROR entry naming the bound")
    func logBounds() async throws {
        let byCount = try LogStore(stateDirectory: nil, now: { Date() }, limits: LocalCloudLimits(maxLogEntries: 5))
        for round in 0..<3 {
            await byCount.append(
                lines: (0..<4).map { "a\(round)-\($0)" }, severity: "INFO", project: "p", jobUID: "a", taskID: "a-0",
                jobLabels: [:], location: "l")
        }
        await byCount.append(
            lines: ["b"], severity: "INFO", project: "p", jobUID: "b", taskID: "b-0", jobLabels: [:], location: "l")
        let kept = await byCount.list(
            resourceNames: ["projects/p"], filter: nil, descending: false, pageSize: 1000, pageToken: nil
        ).entries
        #expect(kept.map(\.textPayload).prefix(5) == ["a0-0", "a0-1", "a0-2", "a0-3", "a1-0"])
        let notices = kept.filter { $0.severity == "ERROR" }
        #expect(notices.count == 2, "one notice for job a, one for job b")
        #expect(
            notices.allSatisfy {
                $0.textPayload.contains("maxLogEntries") && $0.textPayload.contains("--max-log-entries")
            })
        #expect(Set(notices.map { $0.labels["job_uid"] ?? "" }) == ["a", "b"])

        let byBytes = try LogStore(stateDirectory: nil, now: { Date() }, limits: LocalCloudLimits(maxLogBytes: 10))
        await byBytes.append(
            lines: ["12345", "67890", "x"], severity: "INFO", project: "p", jobUID: "c", taskID: "c-0", jobLabels: [:],
            location: "l")
        let bytes = await byBytes.list(
            resourceNames: ["projects/p"], filter: nil, descending: false, pageSize: 1000, pageToken: nil
        ).entries
        #expect(bytes.map(\.textPayload).prefix(2) == ["12345", "67890"])
        #expect(bytes.count == 3)
        #expect(bytes.last?.textPayload.contains("maxLogBytes") == true)
    }
}
