import Clocks
import Foundation
import Testing

@testable import GoogleCloud

@Suite("Batch client requests and answers")
struct BatchClientTests {
    let location = BatchLocation(project: "my-project", region: "us-central1")

    /// The job of the gapic capture (`captures/batch-gapic-rest-client-requests.log`), built with our types.
    func captureJob() -> BatchJob {
        BatchJob(
            taskGroups: [
                .init(
                    taskCount: 1,
                    taskSpec: .init(
                        runnables: [
                            .init(
                                container: .init(
                                    imageUri: "ubuntu:22.04", entrypoint: "/bin/sh",
                                    commands: ["-c", "echo hello > /mnt/disks/share/out/x.txt"],
                                    volumes: ["/mnt/disks/share:/mnt/disks/share:rw"]))
                        ],
                        volumes: [.init(gcsRemotePath: "my-bucket/exec-123", mountPath: "/mnt/disks/share")],
                        computeResource: .init(cpuMilli: 2000, memoryMib: 2048, bootDiskMib: 10240),
                        maxRetryCount: 2, maxRunDuration: "3600s",
                        lifecyclePolicies: [.init(action: .failTask, exitCodes: [1, 2])],
                        environment: .init(variables: ["FOO": "bar"])))
            ],
            allocationPolicy: .init(
                instances: [
                    .init(
                        policy: .init(
                            machineType: "e2-standard-4", provisioningModel: .spot, reservation: "NO_RESERVATION"))
                ],
                network: .init(networkInterfaces: [
                    .init(
                        network: "projects/my-project/global/networks/default",
                        subnetwork: "projects/my-project/regions/us-central1/subnetworks/default",
                        noExternalIpAddress: true)
                ]),
                serviceAccount: .init(email: "runner@my-project.iam.gserviceaccount.com")),
            labels: ["app": "kestra-like", "execution": "exec-123"])
    }

    @Test("jobs.create sends the capture's request: path, jobId, body fields as Google's clients write them")
    func createMatchesCapture() async throws {
        let transport = ScriptedTransport([
            .response(
                .json(
                    "{\"name\": \"projects/my-project/locations/us-central1/jobs/exec-123-task\", \"uid\": \"u-1\", \"status\": {\"state\": \"QUEUED\"}}"
                ))
        ])
        let client = BatchClient(caller: caller(transport), endpoint: endpoint)
        let creation = try await client.createJob(
            captureJob(), in: location, jobID: "exec-123-task", requestID: "5f0c6b2e-0000-4000-8000-000000000001")
        #expect(creation == .created(creation.job))
        #expect(creation.job.uid == "u-1")
        #expect(creation.job.status?.state.value == .queued)

        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        #expect(
            request.target
                == "/v1/projects/my-project/locations/us-central1/jobs?jobId=exec-123-task&requestId=5f0c6b2e-0000-4000-8000-000000000001"
        )
        #expect(request.header("Content-Type") == "application/json")
        let body = try #require(request.bodyJSON as? [String: Any])
        let group = try #require((body["taskGroups"] as? [[String: Any]])?.first)
        #expect(group["taskCount"] as? String == "1")
        let spec = try #require(group["taskSpec"] as? [String: Any])
        #expect(
            spec["computeResource"] as? [String: String] == [
                "cpuMilli": "2000", "memoryMib": "2048", "bootDiskMib": "10240",
            ])
        #expect(spec["maxRunDuration"] as? String == "3600s")
        #expect(spec["maxRetryCount"] as? Int == 2)
        let volume = try #require((spec["volumes"] as? [[String: Any]])?.first)
        #expect(volume["mountPath"] as? String == "/mnt/disks/share")
        #expect(volume["gcs"] as? [String: String] == ["remotePath": "my-bucket/exec-123"])
        let container = try #require(((spec["runnables"] as? [[String: Any]])?.first)?["container"] as? [String: Any])
        #expect(container["imageUri"] as? String == "ubuntu:22.04")
        #expect(container["entrypoint"] as? String == "/bin/sh")
        #expect(container["commands"] as? [String] == ["-c", "echo hello > /mnt/disks/share/out/x.txt"])
        #expect(container["volumes"] as? [String] == ["/mnt/disks/share:/mnt/disks/share:rw"])
        let policy = try #require((spec["lifecyclePolicies"] as? [[String: Any]])?.first)
        #expect(policy["action"] as? String == "FAIL_TASK", "names, as the discovery client sends; the capture's 2")
        #expect((policy["actionCondition"] as? [String: [Int]]) == ["exitCodes": [1, 2]])
        let allocation = try #require(body["allocationPolicy"] as? [String: Any])
        let instance = try #require(
            ((allocation["instances"] as? [[String: Any]])?.first)?["policy"] as? [String: String])
        #expect(
            instance == ["machineType": "e2-standard-4", "provisioningModel": "SPOT", "reservation": "NO_RESERVATION"])
        let interface = try #require(
            ((allocation["network"] as? [String: Any])?["networkInterfaces"] as? [[String: Any]])?.first)
        #expect(interface["noExternalIpAddress"] as? Bool == true)
        #expect(interface["subnetwork"] as? String == "projects/my-project/regions/us-central1/subnetworks/default")
        #expect(body["labels"] as? [String: String] == ["app": "kestra-like", "execution": "exec-123"])
        #expect(body["logsPolicy"] as? [String: String] == ["destination": "CLOUD_LOGGING"])
    }

    @Test("409 ALREADY_EXISTS adopts the existing job instead of failing")
    func createAdoptsExisting() async throws {
        let transport = ScriptedTransport([
            .response(
                .json(409, "{\"error\": {\"code\": 409, \"message\": \"exists\", \"status\": \"ALREADY_EXISTS\"}}")),
            .response(
                .json(
                    "{\"name\": \"projects/my-project/locations/us-central1/jobs/j1\", \"uid\": \"u-9\", \"status\": {\"state\": 3}}"
                )),
        ])
        let client = BatchClient(caller: caller(transport), endpoint: endpoint)
        let creation = try await client.createJob(captureJob(), in: location, jobID: "j1", requestID: "r")
        #expect(creation == .adopted(creation.job))
        #expect(creation.job.status?.state.value == .running, "an integer enum (3) reads as RUNNING")
        #expect(transport.requests.map(\.method) == ["POST", "GET"])
        #expect(transport.requests[1].target == "/v1/projects/my-project/locations/us-central1/jobs/j1")
    }

    @Test("jobs.create is retried on 503 with the same jobId and requestId")
    func createRetried() async throws {
        let transport = ScriptedTransport([
            .response(.json(503, "{\"error\": {\"code\": 503, \"message\": \"busy\", \"status\": \"UNAVAILABLE\"}}")),
            .failure(.connectionLost),
            .response(.json("{\"name\": \"n\", \"uid\": \"u\"}")),
        ])
        let waits = Waits()
        let events = EventLog()
        let client = BatchClient(
            caller: caller(transport, retry: waits.policy(), observer: { events.append($0) }, clock: waits.clock), endpoint: endpoint)
        _ = try await client.createJob(captureJob(), in: location, jobID: "j1", requestID: "req-1")
        #expect(transport.requests.count == 3)
        #expect(Set(transport.requests.map(\.target)).count == 1, "every attempt carries the same ids")
        #expect(events.all.map(\.failedAttempt) == [1, 2])
        #expect(events.all.first?.status == 503)
        #expect(events.all.first?.call == "Batch jobs.create projects/my-project/locations/us-central1/jobs?jobId=j1")
        #expect(events.all.last?.status == nil)
        #expect(waits.recorded.count == 2)
        #expect(waits.recorded.allSatisfy { $0 <= .seconds(2) }, "full jitter under the 1 s, 2 s caps")
    }

    @Test("get answers nil for an unknown job; list follows pages and sends the filter encoded")
    func getAndList() async throws {
        let transport = ScriptedTransport([
            .response(
                .json(404, "{\"error\": {\"code\": 404, \"message\": \"not found\", \"status\": \"NOT_FOUND\"}}")),
            .response(
                .json(
                    "{\"jobs\": [{\"name\": \"a\", \"status\": {\"state\": \"SUCCEEDED\"}}], \"nextPageToken\": \"t2\"}"
                )),
            .response(.json("{\"jobs\": [{\"name\": \"b\", \"status\": {\"state\": \"FAILED\"}}]}")),
            .response(.json("{}")),
        ])
        let client = BatchClient(caller: caller(transport), endpoint: endpoint)
        #expect(try await client.getJob("projects/my-project/locations/us-central1/jobs/gone") == nil)
        let jobs = try await client.listAllJobs(in: location, filter: "labels.execution=\"exec-123\"", pageSize: 10)
        #expect(jobs.map(\.name) == ["a", "b"])
        #expect(jobs.map { $0.status?.state.value } == [.succeeded, .failed])
        #expect(
            transport.requests[1].target
                == "/v1/projects/my-project/locations/us-central1/jobs?filter=labels.execution%3D%22exec-123%22&pageSize=10"
        )
        #expect(transport.requests[2].target.hasSuffix("&pageToken=t2"))
        #expect(try await client.listJobs(in: location).jobs.isEmpty, "an empty list answers {}")
    }

    @Test("delete returns the operation, which is polled until done; a 404 means already gone")
    func deleteAndOperation() async throws {
        let transport = ScriptedTransport([
            .response(
                .json("{\"name\": \"projects/my-project/locations/us-central1/operations/op-1\", \"done\": false}")),
            .response(
                .json("{\"name\": \"projects/my-project/locations/us-central1/operations/op-1\", \"done\": false}")),
            .response(
                .json(
                    "{\"name\": \"projects/my-project/locations/us-central1/operations/op-1\", \"done\": true, \"response\": {}}"
                )),
            .response(.json(404, "{\"error\": {\"code\": 404, \"message\": \"gone\"}}")),
        ])
        let client = BatchClient(caller: caller(transport), endpoint: endpoint)
        let operation = try #require(try await client.deleteJob(location.jobName("j1"), requestID: "d-1"))
        let done = try await client.waitForOperation(operation, every: .milliseconds(1))
        #expect(done.done)
        #expect(transport.requests[0].method == "DELETE")
        #expect(transport.requests[0].target == "/v1/projects/my-project/locations/us-central1/jobs/j1?requestId=d-1")
        #expect(transport.requests[1].target == "/v1/projects/my-project/locations/us-central1/operations/op-1")
        #expect(try await client.deleteJob(location.jobName("j1"), requestID: "d-2") == nil)
    }

    @Test("the container's exit code comes from the last task status event that has one; Batch's codes are named")
    func exitCodes() async throws {
        let transport = ScriptedTransport([
            .response(
                .json(
                    """
                    {"tasks": [{"name": "projects/p/locations/l/jobs/j/taskGroups/group0/tasks/0", "status": {"state": "FAILED",
                     "statusEvents": [
                       {"type": "ASSIGNED", "taskState": "ASSIGNED"},
                       {"type": "STATUS_CHANGED", "taskState": 4, "taskExecution": {"exitCode": 50001},
                        "description": "Task state is updated from RUNNING to FAILED with exit code 50001."}]}},
                     {"name": "projects/p/locations/l/jobs/j/taskGroups/group0/tasks/1"}]}
                    """))
        ])
        let client = BatchClient(caller: caller(transport), endpoint: endpoint)
        let tasks = try await client.listTasks(ofJob: "projects/p/locations/l/jobs/j")
        #expect(tasks.count == 2)
        #expect(tasks[0].exitCode == 50001)
        #expect(tasks[0].status.state.value == .failed)
        #expect(tasks[1].exitCode == nil)
        #expect(tasks[1].status.state.value == .unspecified, "a fresh task's status may be absent")
        #expect(BatchExitCode.describe(50001).contains("preempted"))
        #expect(BatchExitCode.describe(50002).contains("VM lost"))
        #expect(BatchExitCode.describe(1) == "exit code 1")
        #expect(transport.requests[0].target == "/v1/projects/p/locations/l/jobs/j/taskGroups/group0/tasks")
    }

    @Test("answers with unknown fields, numbers for int64 and unknown enum names still decode")
    func tolerantDecoding() throws {
        let job = try JSONDecoder().decode(
            BatchJob.self,
            from: Data(
                """
                {"name": "n", "uid": "u", "somethingNew": {"x": 1}, "status": {"state": "SOME_FUTURE_STATE",
                 "runDuration": "12.5s", "taskGroups": {"group0": {"counts": {"SUCCEEDED": "1", "FAILED": 0}}}},
                 "taskGroups": [{"taskCount": 3, "taskSpec": {"runnables": [], "computeResource": {"cpuMilli": "2000"}}}]}
                """.utf8))
        #expect(job.status?.state.value == .unknown("SOME_FUTURE_STATE"))
        #expect(job.status?.state.value.isTerminal == false)
        #expect(job.status?.taskGroups?["group0"]?.counts?["FAILED"] == 0)
        #expect(job.taskGroups[0].taskCount == 3)
        #expect(job.taskGroups[0].taskSpec.computeResource?.cpuMilli == 2000)
    }

    @Test("job ids follow Batch's rule")
    func jobIDs() {
        #expect(BatchJobID.isValid("gcp-batch-runner-scrape-a1"))
        #expect(!BatchJobID.isValid("Upper"))
        #expect(!BatchJobID.isValid("1starts-with-digit"))
        #expect(!BatchJobID.isValid("ends-with-"))
        #expect(!BatchJobID.isValid(String(repeating: "a", count: 64)))
        #expect(BatchJobID.isValid(String(repeating: "a", count: 63)))
    }
}

/// Collects retry events from the observer.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RetryEvent] = []

    func append(_ event: RetryEvent) { lock.withLock { events.append(event) } }
    var all: [RetryEvent] { lock.withLock { events } }
}
