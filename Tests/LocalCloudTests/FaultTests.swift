import Foundation
import Testing

@testable import LocalCloud

@Suite("Faults")
struct FaultTests {
    @Test("the fault grammar parses every form")
    func grammar() throws {
        let plan = try FaultPlan.parse(
            "jobs.create=503x2, jobs.get=429@0.3; objects.insert=500#2+4, entries.list=latency:500ms, *=drop@0.1, "
                + "job:preempt, job:vm-lost@train-/2s, job:stuck-queued@q")
        #expect(plan.methodRules[0] == .init(method: "jobs.create", effect: .status(503), trigger: .firstCalls(2)))
        #expect(plan.methodRules[1] == .init(method: "jobs.get", effect: .status(429), trigger: .rate(0.3)))
        #expect(plan.methodRules[2] == .init(method: "objects.insert", effect: .status(500), trigger: .calls([2, 4])))
        #expect(
            plan.methodRules[3] == .init(method: "entries.list", effect: .latency(.milliseconds(500)), trigger: .always)
        )
        #expect(plan.methodRules[4] == .init(method: "*", effect: .drop, trigger: .rate(0.1)))
        #expect(
            plan.jobRules == [
                .init(kind: .preempt, jobIDPrefix: nil, after: .zero),
                .init(kind: .vmLost, jobIDPrefix: "train-", after: .seconds(2)),
                .init(kind: .stuckQueued, jobIDPrefix: "q", after: .zero),
            ])
    }

    @Test("parse errors name the rule and what is wrong")
    func grammarErrors() {
        let cases: [(String, String)] = [
            ("jobs.create", "expected METHOD=ACTION"), ("jobs.get=200", "not an HTTP status"),
            ("jobs.get=503@2", "rate between 0 and 1"), ("jobs.get=503x0", "positive call count"),
            ("jobs.get=latency:fast", "not a duration"), ("job:explode", "unknown job fault"),
            ("jobs.get=503#a", "call numbers"),
        ]
        for (spec, fragment) in cases {
            do {
                _ = try FaultPlan.parse(spec)
                Issue.record("\(spec) should not parse")
            } catch {
                let text = "\(error)"
                #expect(text.contains(fragment), "\(text)")
                #expect(text.contains(spec.split(separator: ",").first.map(String.init) ?? spec))
            }
        }
    }

    @Test("jobs.create=503x2: the first two creates fail without creating, the third succeeds")
    func statusForFirstCalls() async throws {
        let plan = try FaultPlan.parse("jobs.create=503x2,jobs.list=latency:300ms")
        try await withCloud(LocalCloudConfiguration(faults: plan)) { _, client in
            let statuses = try await (0..<3).asyncMap { _ in
                try await client.send("POST", "\(parent)/jobs?jobId=flaky", json: shellJob("true")).status
            }
            #expect(statuses == [503, 503, 200])
            let started = Date()
            _ = try await client.get("\(parent)/jobs")
            #expect(Date().timeIntervalSince(started) >= 0.3)
            let stats = try await client.get("/_emulator/stats").json
            #expect(stats["jobsCreated"] == .int(1))
            #expect(stats["jobs.create"] == .int(3))
        }
    }

    @Test("drop: the job is created but the connection closes; the retry gets 409, and only one job exists")
    func dropAfterCreate() async throws {
        let plan = try FaultPlan.parse("jobs.create=dropx1")
        try await withCloud(LocalCloudConfiguration(faults: plan)) { _, client in
            await #expect(throws: (any Error).self) {
                _ = try await client.send("POST", "\(parent)/jobs?jobId=dropped", json: shellJob("true"))
            }
            let retry = try await client.send("POST", "\(parent)/jobs?jobId=dropped", json: shellJob("true"))
            #expect(retry.status == 409)
            #expect(try await client.get("/_emulator/stats").json["jobsCreated"] == .int(1))
        }
    }

    @Test("--fault-rate 1 answers every API call with 429, 500, 503 or a dropped connection")
    func randomRate() async throws {
        try await withCloud(LocalCloudConfiguration(faults: FaultPlan(randomRate: 1))) { _, client in
            for _ in 0..<12 {
                do {
                    let response = try await client.get("\(parent)/jobs")
                    #expect([429, 500, 503].contains(response.status))
                } catch {
                    // a dropped connection
                }
            }
            let stats = try await client.get("/_emulator/stats").json
            #expect((stats["faultsInjected"]?.int64Value ?? 0) >= 12)
            #expect(stats["faultsInjected"] == stats["jobs.list"], "every API call got a fault")
        }
    }

    @Test("job faults: preempt (50001), vm-lost (50002) after a delay, stuck-queued")
    func jobFaults() async throws {
        let plan = try FaultPlan.parse("job:preempt@pre-,job:vm-lost@lost-/300ms,job:stuck-queued@stuck-")
        try await withCloud(LocalCloudConfiguration(faults: plan)) { _, client in
            _ = try await client.send("POST", "\(parent)/jobs?jobId=pre-1", json: shellJob("sleep 5"))
            _ = try await client.send("POST", "\(parent)/jobs?jobId=lost-1", json: shellJob("sleep 300"))
            _ = try await client.send("POST", "\(parent)/jobs?jobId=stuck-1", json: shellJob("true"))
            _ = try await client.send("POST", "\(parent)/jobs?jobId=fine-1", json: shellJob("true"))
            _ = try await client.send(
                "POST", "\(parent)/jobs?jobId=pre-retried",
                json: shellJob("true", extraSpec: ["maxRetryCount": .int(1)]))
            let preempted = try await waitForJob(client, "projects/p/locations/us-central1/jobs/pre-1")
            #expect(preempted["status"]?["state"] == .string("FAILED"))
            #expect(lastExitCode(preempted) == 50001)
            // The 300 s sleep would exit 0: exit code 50002 says the VM loss ended it.
            let lost = try await waitForJob(client, "projects/p/locations/us-central1/jobs/lost-1")
            #expect(lost["status"]?["state"] == .string("FAILED"))
            #expect(lastExitCode(lost) == 50002)
            let fine = try await waitForJob(client, "projects/p/locations/us-central1/jobs/fine-1")
            #expect(fine["status"]?["state"] == .string("SUCCEEDED"))
            #expect(try await client.get("\(parent)/jobs/stuck-1").json["status"]?["state"] == .string("QUEUED"))
            let retried = try await waitForJob(client, "projects/p/locations/us-central1/jobs/pre-retried")
            #expect(retried["status"]?["state"] == .string("SUCCEEDED"), "a preempted task is retried like on Batch")
            let codes = (retried["status"]?["statusEvents"]?.arrayValue ?? []).compactMap {
                $0["taskExecution"]?["exitCode"]?.int64Value
            }
            #expect(codes == [50001, 0])
            let operation = try await client.send("DELETE", "\(parent)/jobs/stuck-1")
            let operationName = try #require(operation.json["name"]?.stringValue)
            let done = try await waitForOperation(client, operationName)["done"] == .bool(true)
            #expect(done, "a job stuck in QUEUED can still be deleted")
            #expect(try await client.get("\(parent)/jobs/stuck-1").status == 404)
        }
    }

    @Test("job:preempt without a prefix hits only the next job")
    func preemptNextJob() async throws {
        try await withCloud(LocalCloudConfiguration(faults: try FaultPlan.parse("job:preempt"))) { _, client in
            _ = try await client.send("POST", "\(parent)/jobs?jobId=first", json: shellJob("true"))
            _ = try await client.send("POST", "\(parent)/jobs?jobId=second", json: shellJob("true"))
            let first = try await waitForJob(client, "projects/p/locations/us-central1/jobs/first")
            let second = try await waitForJob(client, "projects/p/locations/us-central1/jobs/second")
            #expect(lastExitCode(first) == 50001)
            #expect(second["status"]?["state"] == .string("SUCCEEDED"))
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
