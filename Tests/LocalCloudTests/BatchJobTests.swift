import Foundation
import Testing

@testable import LocalCloud

@Suite("Batch jobs")
struct BatchJobTests {
    @Test("a Kestra-style job runs with /<wid> mounted, and its files become objects")
    func kestraStyleJobRuns() async throws {
        try await withCloud { _, client in
            let wid = "w\(UInt32.random(in: 0...UInt32.max))"
            let upload = try await client.send(
                "POST", "/upload/storage/v1/b/bkt/o?uploadType=media&name=\(wid)%2Fmain.py",
                body: Data("print(1)\n".utf8))
            #expect(upload.status == 200)
            let script = "cat /\(wid)/main.py; echo \"$FOO\"; pwd; echo out > /\(wid)/result.txt; echo warn >&2"
            var job = shellJob(script, bucketPath: "bkt/\(wid)", wid: wid)
            job["taskGroups"] = .array([
                .object([
                    "taskSpec": .object([
                        "runnables": job["taskGroups"]!.arrayValue![0]["taskSpec"]!["runnables"]!,
                        "volumes": job["taskGroups"]!.arrayValue![0]["taskSpec"]!["volumes"]!,
                        "environment": .object(["variables": .object(["FOO": .string("bar")])]),
                    ])
                ])
            ])
            let created = try await client.send("POST", "\(parent)/jobs?jobId=kestra-job", json: job)
            #expect(created.status == 200)
            #expect(created.json["status"]?["state"]?.stringValue == "QUEUED")
            #expect(
                created.json["taskGroups"]?.arrayValue?.first?["name"]?.stringValue
                    == "projects/p/locations/us-central1/jobs/kestra-job/taskGroups/group0")
            #expect(created.json["uid"]?.stringValue?.hasPrefix("kestra-job-") == true)
            #expect(
                created.json["taskGroups"]?.arrayValue?.first?["taskSpec"]?["computeResource"]?["cpuMilli"]
                    == .string("2000"))
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/kestra-job")
            #expect(done["status"]?["state"]?.stringValue == "SUCCEEDED")
            #expect(lastExitCode(done) == 0)
            #expect(done["status"]?["runDuration"]?.stringValue?.hasSuffix("s") == true)
            #expect(done["status"]?["taskGroups"]?["group0"]?["counts"]?["SUCCEEDED"] == .string("1"))
            let descriptions = (done["status"]?["statusEvents"]?.arrayValue ?? []).compactMap {
                $0["description"]?.stringValue
            }
            #expect(descriptions.contains { $0.contains("from QUEUED to SCHEDULED") })
            #expect(descriptions.contains { $0.contains("from SCHEDULED to RUNNING") })
            #expect(descriptions.contains { $0.contains("from RUNNING to SUCCEEDED") })
            let object = try await client.get("/storage/v1/b/bkt/o/\(wid)%2Fresult.txt?alt=media")
            #expect(object.status == 200)
            #expect(object.text == "out\n")
            #expect(!FileManager.default.fileExists(atPath: "/\(wid)"), "the mount point must not be left on the host")
            let uid = done["uid"]!.stringValue!
            let logs = try await client.send(
                "POST", "/v2/entries:list",
                json: .object([
                    "resourceNames": .array([.string("projects/p")]),
                    "filter": .string("logName=\"projects/p/logs/batch_task_logs\" labels.job_uid=\"\(uid)\""),
                ]))
            let entries = logs.json["entries"]?.arrayValue ?? []
            let lines = entries.compactMap { $0["textPayload"]?.stringValue }
            #expect(lines.contains("print(1)"))
            #expect(lines.contains("bar"))
            #expect(lines.contains("/"), "Kestra's runner expects the commands to run from /")
            let warn = entries.first { $0["textPayload"] == .string("warn") }
            #expect(warn?["severity"] == .string("ERROR"))
            #expect(warn?["labels"]?["task_id"] == .string("\(uid)-group0-0"))
            #expect(entries.first?["severity"] != nil && entries.first?["insertId"] != nil)
        }
    }

    @Test("Kestra's output-dir placeholder object <wid>/<oid>/ is a folder the job writes into")
    func outputDirectoryPlaceholder() async throws {
        try await withCloud { _, client in
            let placeholder = try await client.send(
                "POST", "/upload/storage/v1/b/kestra/o?uploadType=media&name=w1%2Fo1%2F", body: Data())
            #expect(placeholder.status == 200)
            _ = try await client.send(
                "POST", "\(parent)/jobs?jobId=outputs",
                json: shellJob("echo '{}' > /w1/o1/out.json", bucketPath: "kestra/w1", wid: "w1"))
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/outputs")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
            let listing = try await client.get("/storage/v1/b/kestra/o?prefix=w1")
            #expect(
                listing.json["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                    "w1/o1/", "w1/o1/out.json",
                ])
            #expect(try await client.send("DELETE", "/storage/v1/b/kestra/o/w1%2Fo1%2Fout.json").status == 204)
            #expect(try await client.send("DELETE", "/storage/v1/b/kestra/o/w1%2Fo1%2F").status == 204)
            #expect(try await client.get("/storage/v1/b/kestra/o?prefix=w1").json["items"] == nil)
        }
    }

    @Test("a failing command fails the job with the container's exit code")
    func failingJob() async throws {
        try await withCloud { _, client in
            let created = try await client.send("POST", "\(parent)/jobs?jobId=fails", json: shellJob("exit 7"))
            #expect(created.status == 200)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/fails")
            #expect(done["status"]?["state"]?.stringValue == "FAILED")
            #expect(lastExitCode(done) == 7)
            let task = try await client.get("\(parent)/jobs/fails/taskGroups/group0/tasks/0")
            #expect(task.json["status"]?["state"] == .string("FAILED"))
            let tasks = try await client.get("\(parent)/jobs/fails/taskGroups/group0/tasks")
            #expect(tasks.json["tasks"]?.arrayValue?.count == 1)
            let missing = try await client.get("\(parent)/jobs/fails/taskGroups/group0/tasks/3")
            #expect(missing.status == 404)
        }
    }

    @Test("enums as integers are accepted, and enum-encoding=int is honoured")
    func integerEnums() async throws {
        try await withCloud { _, client in
            var job = shellJob("true")
            job["logsPolicy"] = .object(["destination": .int(1)])
            let created = try await client.send(
                "POST", "\(parent)/jobs?jobId=ints&%24alt=json%3Benum-encoding%3Dint", json: job)
            #expect(created.status == 200)
            #expect(created.json["status"]?["state"] == .int(1))
            #expect(created.json["logsPolicy"]?["destination"] == .int(1))
            let named = try await client.get("\(parent)/jobs/ints")
            #expect(named.json["logsPolicy"]?["destination"] == .string("CLOUD_LOGGING"))
            var bad = shellJob("true")
            bad["logsPolicy"] = .object(["destination": .int(9)])
            let refused = try await client.send("POST", "\(parent)/jobs?jobId=bad-enum", json: bad)
            #expect(refused.status == 400)
            #expect(refused.json["error"]?["message"]?.stringValue?.contains("logs_policy.destination") == true)
        }
    }

    @Test("validation errors are Google's 400 INVALID_ARGUMENT naming the field")
    func validation() async throws {
        try await withCloud { _, client in
            for badID in ["Upper", "1abc", "ends-", "has_underscore", String(repeating: "a", count: 64)] {
                let response = try await client.send("POST", "\(parent)/jobs?jobId=\(badID)", json: shellJob("true"))
                #expect(response.status == 400)
                #expect(response.json["error"]?["status"] == .string("INVALID_ARGUMENT"))
                #expect(response.json["error"]?["message"]?.stringValue?.contains("job_id") == true)
            }
            let noGroups = try await client.send("POST", "\(parent)/jobs?jobId=nogroups", json: .object([:]))
            #expect(noGroups.status == 400)
            #expect(noGroups.json["error"]?["message"]?.stringValue?.contains("task_groups") == true)
            let missing = try await client.get("\(parent)/jobs/nope")
            #expect(missing.status == 404)
            #expect(missing.json["error"]?["status"] == .string("NOT_FOUND"))
        }
    }

    @Test("409 for an existing jobId; a replayed requestId returns the first job and creates nothing")
    func idempotency() async throws {
        try await withCloud { _, client in
            let first = try await client.send("POST", "\(parent)/jobs?jobId=once&requestId=r-1", json: shellJob("true"))
            #expect(first.status == 200)
            let again = try await client.send("POST", "\(parent)/jobs?jobId=once", json: shellJob("true"))
            #expect(again.status == 409)
            #expect(again.json["error"]?["status"] == .string("ALREADY_EXISTS"))
            let replay = try await client.send(
                "POST", "\(parent)/jobs?jobId=once&requestId=r-1", json: shellJob("true"))
            #expect(replay.status == 200)
            #expect(replay.json["uid"] == first.json["uid"])
            let noID1 = try await client.send("POST", "\(parent)/jobs?requestId=r-2", json: shellJob("true"))
            let noID2 = try await client.send("POST", "\(parent)/jobs?requestId=r-2", json: shellJob("true"))
            #expect(noID1.json["name"] == noID2.json["name"])
            #expect(noID1.json["name"]?.stringValue?.contains("/jobs/job-") == true)
            let stats = try await client.get("/_emulator/stats").json
            #expect(stats["jobsCreated"] == .int(2))
            #expect((stats["jobStates"]?.objectValue?.values.compactMap { $0.int64Value }.reduce(0, +)) == 2)
            #expect(stats["jobs.create"] == .int(5))
        }
    }

    @Test("jobs.list filters on labels and state, orders, and pages")
    func listing() async throws {
        try await withCloud { _, client in
            for index in 0..<5 {
                let labels = ["execution": index < 3 ? "exec-a" : "exec-b", "n": "\(index)"]
                let script = index == 4 ? "exit 1" : "true"
                _ = try await client.send(
                    "POST", "\(parent)/jobs?jobId=list-\(index)", json: shellJob(script, labels: labels))
            }
            for index in 0..<5 {
                _ = try await waitForJob(client, "projects/p/locations/us-central1/jobs/list-\(index)")
            }
            let byLabel = try await client.get("\(parent)/jobs?filter=labels.execution%3D%22exec-a%22")
            #expect(byLabel.json["jobs"]?.arrayValue?.count == 3)
            let both = try await client.get(
                "\(parent)/jobs?filter=labels.execution%3D%22exec-b%22%20AND%20labels.n%3D%223%22")
            #expect(
                both.json["jobs"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                    == ["projects/p/locations/us-central1/jobs/list-3"])
            let failed = try await client.get("\(parent)/jobs?filter=status.state%3D%22FAILED%22")
            #expect(failed.json["jobs"]?.arrayValue?.count == 1)
            var names: [String] = []
            var token: String?
            repeat {
                let page = try await client.get(
                    "\(parent)/jobs?pageSize=2&orderBy=name%20desc" + (token.map { "&pageToken=\($0)" } ?? ""))
                names += (page.json["jobs"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                token = page.json["nextPageToken"]?.stringValue
            } while token != nil
            #expect(names == (0..<5).reversed().map { "projects/p/locations/us-central1/jobs/list-\($0)" })
            let everywhere = try await client.get("/v1/projects/p/locations/-/jobs")
            #expect(everywhere.json["jobs"]?.arrayValue?.count == 5)
            #expect(try await client.get("/v1/projects/other/locations/-/jobs").json == .object([:]))
            let none = try await client.get("\(parent)/jobs?filter=labels.execution%3D%22zzz%22")
            #expect(none.json == .object([:]))
        }
    }

    @Test("jobs.delete returns an Operation, kills the process, and the job is gone when it is done")
    func deletion() async throws {
        try await withCloud { _, client in
            _ = try await client.send("POST", "\(parent)/jobs?jobId=del", json: shellJob("sleep 3032"))
            _ = try await waitForJob(client, "projects/p/locations/us-central1/jobs/del", states: ["RUNNING"])
            #expect(await waitForProcesses(running: ["sleep", "3032"], count: 1))
            let operation = try await client.send("DELETE", "\(parent)/jobs/del")
            #expect(operation.status == 200)
            let name = try #require(operation.json["name"]?.stringValue)
            #expect(operation.json["metadata"]?["verb"] == .string("delete"))
            // The job sleeps for 50 minutes: the operation is done only once delete has killed it.
            #expect(try await waitForOperation(client, name)["done"] == .bool(true))
            #expect(try await client.get("\(parent)/jobs/del").status == 404)
            #expect(processes(running: ["sleep", "3032"]).isEmpty, "delete must kill the sleeping process")
            let stats = try await client.get("/_emulator/stats").json
            #expect(stats["jobsDeleted"] == .int(1))
        }
    }

    @Test("jobs.cancel kills the process group and ends CANCELLED")
    func cancellation() async throws {
        try await withCloud { _, client in
            _ = try await client.send(
                "POST", "\(parent)/jobs?jobId=cancel-me", json: shellJob("sleep 3031 & sleep 3031; wait"))
            _ = try await waitForJob(client, "projects/p/locations/us-central1/jobs/cancel-me", states: ["RUNNING"])
            #expect(await waitForProcesses(running: ["sleep", "3031"], count: 2))
            let operation = try await client.send("POST", "\(parent)/jobs/cancel-me:cancel", json: .object([:]))
            #expect(operation.status == 200)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/cancel-me")
            #expect(done["status"]?["state"] == .string("CANCELLED"))
            #expect(processes(running: ["sleep", "3031"]).isEmpty, "both sleeps of the process group are killed")
        }
    }

    @Test("maxRunDuration is enforced with exit code 50005")
    func maxRunDuration() async throws {
        try await withCloud { _, client in
            let job = shellJob("sleep 300", extraSpec: ["maxRunDuration": .string("1s")])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=too-long", json: job)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/too-long")
            // Ended by the limit (50005), not by the 300 s sleep, which would have exited 0.
            #expect(done["status"]?["state"] == .string("FAILED"))
            #expect(lastExitCode(done) == 50005)
        }
    }

    @Test("retries follow maxRetryCount and lifecycle policies")
    func retries() async throws {
        try await withCloud { _, client in
            // The host's /tmp is private to each job, so the attempts are counted in the mounted bucket.
            let script = "echo x >> /mnt/disks/share/attempts; [ $(wc -l < /mnt/disks/share/attempts) -ge 3 ]"
            _ = try await client.send(
                "POST", "\(parent)/jobs?jobId=retry",
                json: shellJob(script, bucketPath: "retry-bkt", extraSpec: ["maxRetryCount": .int(2)]))
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/retry")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
            let noRetry = shellJob(
                "exit 2",
                extraSpec: [
                    "maxRetryCount": .int(3),
                    "lifecyclePolicies": .array([
                        .object([
                            "action": .int(2), "actionCondition": .object(["exitCodes": .array([.int(2)])]),
                        ])
                    ]),
                ])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=no-retry", json: noRetry)
            let failed = try await waitForJob(client, "projects/p/locations/us-central1/jobs/no-retry")
            let runs = (failed["status"]?["statusEvents"]?.arrayValue ?? []).filter {
                $0["taskState"] == .string("RUNNING")
            }
            #expect(runs.count == 1, "FAIL_TASK on exit code 2 must not retry")
        }
    }

    @Test("several tasks get BATCH_TASK_INDEX; script runnables; tasks.list filters by state")
    func tasksAndScripts() async throws {
        try await withCloud { _, client in
            let job: JSONValue = .object([
                "taskGroups": .array([
                    .object([
                        "taskCount": .int(3), "parallelism": .string("2"),
                        "taskSpec": .object([
                            "runnables": .array([
                                .object([
                                    "script": .object([
                                        "text": .string(
                                            "echo task-$BATCH_TASK_INDEX-of-$BATCH_TASK_COUNT; [ $BATCH_TASK_INDEX != 1 ]"
                                        )
                                    ])
                                ])
                            ])
                        ]),
                    ])
                ]),
                "logsPolicy": .object(["destination": .string("CLOUD_LOGGING")]),
            ])
            let created = try await client.send("POST", "\(parent)/jobs?jobId=three", json: job)
            #expect(created.json["taskGroups"]?.arrayValue?.first?["taskCount"] == .string("3"))
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/three")
            #expect(done["status"]?["state"] == .string("FAILED"))
            #expect(done["status"]?["taskGroups"]?["group0"]?["counts"]?["SUCCEEDED"] == .string("2"))
            #expect(done["status"]?["taskGroups"]?["group0"]?["counts"]?["FAILED"] == .string("1"))
            let failed = try await client.get("\(parent)/jobs/three/taskGroups/group0/tasks?filter=State%3DFAILED")
            #expect(
                failed.json["tasks"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
                    == ["projects/p/locations/us-central1/jobs/three/taskGroups/group0/tasks/1"])
            let uid = try #require(done["uid"]?.stringValue)
            let logs = try await client.send(
                "POST", "/v2/entries:list",
                json: .object([
                    "resourceNames": .array([.string("projects/p")]), "filter": .string("labels.job_uid=\"\(uid)\""),
                ]))
            let lines = Set((logs.json["entries"]?.arrayValue ?? []).compactMap { $0["textPayload"]?.stringValue })
            #expect(lines == ["task-0-of-3", "task-1-of-3", "task-2-of-3"])
        }
    }

    @Test("secretVariables cannot be resolved locally, and a status event says so")
    func secretVariables() async throws {
        try await withCloud { _, client in
            let job = shellJob(
                "test -z \"$TOKEN\"",
                extraSpec: [
                    "environment": .object([
                        "secretVariables": .object(["TOKEN": .string("projects/p/secrets/token/versions/1")])
                    ])
                ])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=secrets", json: job)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/secrets")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
            let notes = (done["status"]?["statusEvents"]?.arrayValue ?? []).filter {
                $0["type"] == .string("SECRET_VARIABLES")
            }
            #expect(notes.first?["description"]?.stringValue?.contains("TOKEN") == true)
        }
    }

    @Test("background runnables are killed when the others end; after a failure only alwaysRun runnables run")
    func backgroundAndAlwaysRun() async throws {
        try await withCloud { _, client in
            func script(_ text: String, _ extra: [String: JSONValue] = [:]) -> JSONValue {
                var runnable: [String: JSONValue] = ["script": .object(["text": .string(text)])]
                for (key, value) in extra { runnable[key] = value }
                return .object(runnable)
            }
            let job: JSONValue = .object([
                "taskGroups": .array([
                    .object([
                        "taskSpec": .object([
                            "runnables": .array([
                                script("echo sidecar; sleep 3033", ["background": .bool(true)]),
                                script("echo main; exit 2"),
                                script("echo skipped"),
                                script("echo cleanup", ["alwaysRun": .bool(true)]),
                            ])
                        ])
                    ])
                ]),
                "logsPolicy": .object(["destination": .string("CLOUD_LOGGING")]),
            ])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=sidecar", json: job)
            // The background runnable sleeps for 50 minutes: the job ends (FAILED, by the main runnable's exit 2)
            // only because that sleep does not hold the task, and the sleep is killed with it.
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/sidecar")
            #expect(done["status"]?["state"] == .string("FAILED"))
            #expect(lastExitCode(done) == 2)
            #expect(processes(running: ["sleep", "3033"]).isEmpty)
            let uid = try #require(done["uid"]?.stringValue)
            let logs = try await client.send(
                "POST", "/v2/entries:list",
                json: .object([
                    "resourceNames": .array([.string("projects/p")]), "filter": .string("labels.job_uid=\"\(uid)\""),
                ]))
            let lines = Set((logs.json["entries"]?.arrayValue ?? []).compactMap { $0["textPayload"]?.stringValue })
            #expect(lines.subtracting(["sidecar"]) == ["main", "cleanup"], "\(lines)")
        }
    }

    @Test("a runnable's timeout kills it")
    func runnableTimeout() async throws {
        try await withCloud { _, client in
            let job: JSONValue = .object([
                "taskGroups": .array([
                    .object([
                        "taskSpec": .object([
                            "runnables": .array([
                                .object(["script": .object(["text": .string("sleep 300")]), "timeout": .string("0.5s")])
                            ])
                        ])
                    ])
                ])
            ])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=runnable-timeout", json: job)
            let done = try await waitForJob(
                client, "projects/p/locations/us-central1/jobs/runnable-timeout", timeout: 120)
            #expect(done["status"]?["state"] == .string("FAILED"))
            #expect(lastExitCode(done) == 50005)
        }
    }

    @Test("the start-up delay keeps a job QUEUED, then SCHEDULED, before it runs")
    func startupDelay() async throws {
        try await withCloud(LocalCloudConfiguration(startupDelay: .seconds(2))) { _, client in
            let started = Date()
            let created = try await client.send("POST", "\(parent)/jobs?jobId=slow-boot", json: shellJob("true"))
            #expect(created.json["status"]?["state"] == .string("QUEUED"))
            let state = try await client.get("\(parent)/jobs/slow-boot").json["status"]?["state"]
            if Date().timeIntervalSince(started) < 0.9 { #expect(state == .string("QUEUED")) }
            let running = try await waitForJob(
                client, "projects/p/locations/us-central1/jobs/slow-boot",
                states: ["SCHEDULED", "RUNNING", "SUCCEEDED"])
            #expect(Date().timeIntervalSince(started) >= 0.9, "SCHEDULED after half the delay")
            #expect(running["status"]?["state"] != nil)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/slow-boot")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
            #expect(Date().timeIntervalSince(started) >= 1.9, "RUNNING only after the whole delay")
        }
    }
}
