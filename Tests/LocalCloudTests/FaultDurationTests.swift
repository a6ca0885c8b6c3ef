import Foundation
import Testing

@testable import LocalCloud

@Suite("Fault durations")
struct FaultDurationTests {
    @Test("out-of-range fault durations are errors naming the rule, never a trap")
    func outOfRange() {
        let cases = [
            "jobs.get=latency:1e300s", "jobs.get=latency:-1s", "jobs.get=latency:nans", "jobs.get=latency:infs",
            "jobs.get=latency:1e3ms", "jobs.get=latency:0x10s", "jobs.get=latency:25h", "jobs.get=latency:86401s",
            "jobs.get=latency:99999999999999999999999999999999999m", "job:preempt/1e300s", "job:vm-lost@x-/-5ms",
            "job:preempt/nanm", "jobs.get=latency:.5s", "jobs.get=latency:5.s",
        ]
        for spec in cases {
            do {
                let plan = try FaultPlan.parse(spec)
                Issue.record("\(spec) should not parse, got \(plan)")
            } catch {
                let text = "\(error)"
                #expect(text.contains("rule '\(spec)'"), "\(text)")
            }
        }
    }

    @Test("durations up to a day parse exactly")
    func inRange() throws {
        let plan = try FaultPlan.parse(
            "jobs.get=latency:1.5s, jobs.list=latency:86400s, job:preempt/1440m, job:vm-lost/250ms")
        #expect(plan.methodRules[0].effect == .latency(.milliseconds(1500)))
        #expect(plan.methodRules[1].effect == .latency(.seconds(86400)))
        #expect(plan.jobRules.map(\.after) == [.seconds(86400), .milliseconds(250)])
    }

    @Test("a job fault built in code with a huge delay does not trap when a job is created")
    func hugeJobFaultDelay() async throws {
        let plan = FaultPlan(jobRules: [.init(kind: .preempt, jobIDPrefix: "huge", after: .seconds(Int64.max))])
        try await withCloud(LocalCloudConfiguration(faults: plan)) { _, client in
            let created = try await client.send("POST", "\(parent)/jobs?jobId=huge-delay", json: shellJob("true"))
            #expect(created.status == 200)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/huge-delay")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"), "the preemption is a day away")
        }
    }
}
