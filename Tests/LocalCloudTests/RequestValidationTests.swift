import Foundation
import Testing

@testable import LocalCloud

/// Numbers, durations and paths a client sends are refused with a 400 naming the field; none brings the emulator
/// down (a trap would end the whole test process).
@Suite("Request validation")
struct RequestValidationTests {
    /// A job whose only task spec is `spec` (plus a script runnable unless `spec` has runnables).
    func job(spec: [String: JSONValue] = [:], group: [String: JSONValue] = [:]) -> JSONValue {
        var taskSpec = spec
        if taskSpec["runnables"] == nil {
            taskSpec["runnables"] = .array([.object(["script": .object(["text": .string("true")])])])
        }
        var taskGroup = group
        taskGroup["taskSpec"] = .object(taskSpec)
        return .object(["taskGroups": .array([.object(taskGroup)])])
    }

    func expectInvalid(_ response: TestResponse, naming field: String, _ comment: Comment? = nil) {
        #expect(response.status == 400, comment)
        #expect(response.json["error"]?["status"] == .string("INVALID_ARGUMENT"), comment)
        let message = response.json["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains(field), "\(message)")
    }

    @Test("absurd durations (1e30s, inf, nan, negative, hex) in maxRunDuration and timeout are 400s naming the field")
    func durations() async throws {
        try await withCloud { _, client in
            let values = [
                "1e30s", "1e300s", "infs", "nans", "-1s", "0x10s", "315576000001s", "1.0000000001s", "s", "5",
            ]
            for (index, value) in values.enumerated() {
                let byRun = try await client.send(
                    "POST", "\(parent)/jobs?jobId=dur-run-\(index)",
                    json: job(spec: ["maxRunDuration": .string(value)]))
                expectInvalid(byRun, naming: "max_run_duration", "maxRunDuration \(value)")
                let byTimeout = try await client.send(
                    "POST", "\(parent)/jobs?jobId=dur-timeout-\(index)",
                    json: job(spec: [
                        "runnables": .array([
                            .object(["script": .object(["text": .string("true")]), "timeout": .string(value)])
                        ])
                    ]))
                expectInvalid(byTimeout, naming: "runnables[0].timeout", "timeout \(value)")
            }
            let numeric = try await client.send(
                "POST", "\(parent)/jobs?jobId=dur-number", json: job(spec: ["maxRunDuration": .double(1e30)]))
            expectInvalid(numeric, naming: "max_run_duration")
            // The largest protobuf Duration is accepted, and the job runs (its timer does not overflow).
            let largest = try await client.send(
                "POST", "\(parent)/jobs?jobId=dur-largest",
                json: job(spec: [
                    "maxRunDuration": .string("315576000000s"),
                    "runnables": .array([
                        .object(["script": .object(["text": .string("true")]), "timeout": .string("315576000000.5s")])
                    ]),
                ]))
            #expect(largest.status == 200)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/dur-largest")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
        }
    }

    @Test("counts that are negative, huge or not numbers are 400s naming the field")
    func counts() async throws {
        try await withCloud { _, client in
            let cases: [(String, [String: JSONValue], [String: JSONValue], String)] = [
                ("c1", [:], ["taskCount": .string("abc")], "task_count"),
                ("c2", [:], ["taskCount": .double(1e30)], "task_count"),
                ("c3", [:], ["taskCount": .int(-1)], "task_count"),
                ("c4", [:], ["taskCount": .string("99999999999999999999999")], "task_count"),
                ("c5", [:], ["parallelism": .int(-5)], "parallelism"),
                ("c6", [:], ["parallelism": .string("1e9")], "parallelism"),
                ("c7", ["maxRetryCount": .double(1e30)], [:], "max_retry_count"),
                ("c8", ["computeResource": .object(["cpuMilli": .string("lots")])], [:], "cpu_milli"),
            ]
            for (id, spec, group, field) in cases {
                let response = try await client.send(
                    "POST", "\(parent)/jobs?jobId=\(id)", json: job(spec: spec, group: group))
                expectInvalid(response, naming: field, "\(id)")
            }
        }
    }

    @Test("list calls refuse negative or non-numeric page sizes and tokens with a 400 naming the field")
    func listPaging() async throws {
        try await withCloud { _, client in
            _ = try await client.send("POST", "\(parent)/jobs?jobId=pager", json: shellJob("true"))
            let jobsPath = "\(parent)/jobs"
            let tasksPath = "\(parent)/jobs/pager/taskGroups/group0/tasks"
            for path in [jobsPath, tasksPath] {
                expectInvalid(try await client.get("\(path)?pageToken=-5"), naming: "page_token")
                expectInvalid(try await client.get("\(path)?pageToken=abc"), naming: "page_token")
                expectInvalid(try await client.get("\(path)?pageSize=-1"), naming: "page_size")
                expectInvalid(try await client.get("\(path)?pageSize=lots"), naming: "page_size")
                let huge = try await client.get("\(path)?pageSize=99999999999999999999&pageToken=9223372036854775807")
                #expect(huge.status == 400, "a page size past Int64 is not a number")
                let far = try await client.get("\(path)?pageSize=1000000&pageToken=9223372036854775807")
                #expect(far.status == 200, "a page past the end is empty, not a crash")
            }
            let longFilter = String(repeating: "a", count: 20_001)
            expectInvalid(try await client.get("\(jobsPath)?filter=\(longFilter)"), naming: "filter")
        }
    }

    @Test("entries:list refuses a negative pageToken and bad page sizes with a 400 naming the field")
    func loggingPaging() async throws {
        try await withCloud { _, client in
            var job = shellJob("echo one; echo two; echo three")
            job["logsPolicy"] = .object(["destination": .string("CLOUD_LOGGING")])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=log-pager", json: job)
            _ = try await waitForJob(client, "projects/p/locations/us-central1/jobs/log-pager")
            func list(_ extra: [String: JSONValue]) async throws -> TestResponse {
                var body: [String: JSONValue] = ["resourceNames": .array([.string("projects/p")])]
                for (key, value) in extra { body[key] = value }
                return try await client.send("POST", "/v2/entries:list", json: .object(body))
            }
            expectInvalid(try await list(["pageToken": .string("-1")]), naming: "page_token")
            expectInvalid(try await list(["pageToken": .string("-9223372036854775808")]), naming: "page_token")
            expectInvalid(try await list(["pageToken": .string("x")]), naming: "page_token")
            expectInvalid(try await list(["pageToken": .object([:])]), naming: "page_token")
            expectInvalid(try await list(["pageSize": .int(-1)]), naming: "page_size")
            expectInvalid(try await list(["pageSize": .double(1e30)]), naming: "page_size")
            expectInvalid(try await list(["pageSize": .string("many")]), naming: "page_size")
            expectInvalid(try await list(["pageSize": .int(1001)]), naming: "page_size")
            let far = try await list(["pageToken": .string("9223372036854775807"), "pageSize": .int(1000)])
            #expect(far.status == 200)
            let first = try await list(["pageSize": .int(2)])
            #expect(first.json["entries"]?.arrayValue?.count == 2)
            let token = try #require(first.json["nextPageToken"])
            let second = try await list(["pageSize": .int(0), "pageToken": token])
            #expect(second.status == 200)
            #expect(second.json["entries"]?.arrayValue?.count == 1)
        }
    }

    @Test("filters nested thousands deep are 400s, not a stack overflow; ordinary nesting still works")
    func deepFilters() async throws {
        try await withCloud { _, client in
            let deep = [
                String(repeating: "(", count: 5000) + "a=1" + String(repeating: ")", count: 5000),
                String(repeating: "-", count: 9000) + "a=1",
                String(repeating: "NOT ", count: 4000) + "a=1",
                // A quote inside an unquoted value must not hide what follows from the count.
                "a=x\" " + String(repeating: "(", count: 9000) + "a=1" + String(repeating: ")", count: 9000) + " b=y\"",
            ]
            for filter in deep {
                let logging = try await client.send(
                    "POST", "/v2/entries:list",
                    json: .object(["resourceNames": .array([.string("projects/p")]), "filter": .string(filter)]))
                expectInvalid(logging, naming: "filter")
                let encoded = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                expectInvalid(try await client.get("\(parent)/jobs?filter=\(encoded)"), naming: "filter")
            }
            let ordinary = "NOT (labels.a=\"x-(y)\" OR -labels.b=\"NOT (\") AND ((state=SUCCEEDED))"
            let encoded = ordinary.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            #expect(try await client.get("\(parent)/jobs?filter=\(encoded)").status == 200)
            let logging = try await client.send(
                "POST", "/v2/entries:list",
                json: .object(["resourceNames": .array([.string("projects/p")]), "filter": .string(ordinary)]))
            #expect(logging.status == 200)
        }
    }

    @Test("volume paths with '..' are refused, so a job cannot bind a host folder outside its own")
    func volumePaths() async throws {
        try await withCloud { _, client in
            let byMountPath = try await client.send(
                "POST", "\(parent)/jobs?jobId=climb-1",
                json: job(spec: ["volumes": .array([.object(["mountPath": .string("/../../../../etc")])])]))
            expectInvalid(byMountPath, naming: "volumes[0].mount_path")
            let container: JSONValue = .object([
                "imageUri": .string("ubuntu"), "entrypoint": .string("/bin/sh"),
                "commands": .array([.string("-c"), .string("true")]),
                "volumes": .array([.string("/../../../../etc:/host-etc")]),
            ])
            let byContainer = try await client.send(
                "POST", "\(parent)/jobs?jobId=climb-2",
                json: job(spec: ["runnables": .array([.object(["container": container])])]))
            expectInvalid(byContainer, naming: "container.volumes[0]")
        }
    }

    @Test(
        "a link a runnable plants in its volume cannot redirect a later runnable's container volume out of the job",
        arguments: ["disk", "bucket"])
    func plantedLinkInVolume(kind: String) async throws {
        // Outside the temporary folder, so that only the confinement (not the job's private /tmp) keeps it out.
        let victim = URL(fileURLWithPath: "/var/tmp/lc-victim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: victim) }
        chmod(victim.path, 0o755)
        try Data("host secret\n".utf8).write(to: victim.appendingPathComponent("secret.txt"))
        func container(_ volumes: [String], _ script: String) -> JSONValue {
            .object([
                "container": .object([
                    "imageUri": .string("ubuntu"), "entrypoint": .string("/bin/sh"),
                    "commands": .array([.string("-c"), .string(script)]),
                    "volumes": .array(volumes.map { .string($0) }),
                ])
            ])
        }
        var spec: [String: JSONValue] = [
            "runnables": .array([
                container(["/d:/d"], "ln -s \(victim.path) /d/evil"),
                container(["/d/evil:/x"], "cat /x/secret.txt; echo from-job > /x/pwned"),
            ])
        ]
        if kind == "bucket" {
            spec["volumes"] = .array([.object(["gcs": .object(["remotePath": .string("plant")]), "mountPath": .string("/d")])])
        }
        try await withCloud { _, client in
            _ = try await client.send("POST", "\(parent)/jobs?jobId=plant-\(kind)", json: job(spec: spec))
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/plant-\(kind)")
            #expect(done["status"]?["state"] == .string("FAILED"), "the second runnable's mount is refused")
        }
        #expect(!FileManager.default.fileExists(atPath: victim.appendingPathComponent("pwned").path))
        let mode = (try FileManager.default.attributesOfItem(atPath: victim.path)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o755, "the host folder's mode is untouched")
    }

    @Test("a stored job from an older emulator with an absurd duration runs instead of crashing the emulator")
    func storedAbsurdDuration() async throws {
        let state = temporaryDirectory("lc-state-absurd")
        defer { try? FileManager.default.removeItem(at: state) }
        let name = "projects/p/locations/us-central1/jobs/old-absurd"
        var spec = job(spec: [
            "maxRunDuration": .string("1e30s"),
            "runnables": .array([.object(["script": .object(["text": .string("true")]), "timeout": .string("infs")])]),
        ])
        spec["name"] = .string(name)
        let record = JobRecord(
            job: spec, name: name, uid: "old-absurd-0123456789ab", jobID: "old-absurd", project: "p",
            location: "us-central1", requestID: nil, createdAt: Date(), updatedAt: Date(), tasks: [TaskRecord(index: 0)]
        )
        let folder = state.appendingPathComponent("batch/jobs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        try encoder.encode(record).write(to: folder.appendingPathComponent(BatchService.fileName(name)))
        try await withCloud(LocalCloudConfiguration(stateDirectory: state)) { _, client in
            let done = try await waitForJob(client, name)
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
        }
    }
}
