import Foundation
import Testing

@testable import LocalCloud

@Suite("Cloud Logging")
struct LoggingTests {
    @Test("the filter parser reads the forms clients write")
    func parser() throws {
        let google = try FilterExpression.parse(
            #"logName=("projects/p/logs/a" OR "projects/p/logs/b") AND labels.job_uid="u-1" AND timestamp>="2026-01-01T00:00:00Z""#
        )
        #expect(
            google
                == .and([
                    .compare(field: "logName", op: .equal, values: ["projects/p/logs/a", "projects/p/logs/b"]),
                    .compare(field: "labels.job_uid", op: .equal, values: ["u-1"]),
                    .compare(field: "timestamp", op: .greaterOrEqual, values: ["2026-01-01T00:00:00Z"]),
                ]))
        let kestra = try FilterExpression.parse(#"logName="projects/p/logs/batch_task_logs" labels.job_uid="u""#)
        #expect(
            kestra
                == .and([
                    .compare(field: "logName", op: .equal, values: ["projects/p/logs/batch_task_logs"]),
                    .compare(field: "labels.job_uid", op: .equal, values: ["u"]),
                ]))
        let bare = try FilterExpression.parse("labels.job_uid=u-2 OR (severity>=ERROR AND NOT textPayload:x)")
        #expect(
            bare
                == .or([
                    .compare(field: "labels.job_uid", op: .equal, values: ["u-2"]),
                    .and([
                        .compare(field: "severity", op: .greaterOrEqual, values: ["ERROR"]),
                        .not(.compare(field: "textPayload", op: .has, values: ["x"])),
                    ]),
                ]))
        #expect(throws: FilterParseError.self) { try FilterExpression.parse("labels.x=\"open") }
        #expect(throws: FilterParseError.self) { try FilterExpression.parse("(a=1") }
        #expect(throws: FilterParseError.self) { try FilterExpression.parse("a ~ 1") }
    }

    @Test("RFC 3339 with Z, numeric offsets and fractional seconds")
    func timestamps() throws {
        let z = try #require(RFC3339.parse("2026-01-01T00:00:00Z"))
        #expect(RFC3339.parse("2026-01-01T00:00:00+0000") == z)
        #expect(RFC3339.parse("2026-01-01T01:00:00+01:00") == z)
        let fraction = try #require(RFC3339.parse("2026-01-01T00:00:00.123456789Z"))
        #expect(abs(fraction.timeIntervalSince(z) - 0.123456789) < 1e-6)
        #expect(RFC3339.parse("2026-01-01 00:00") == nil)
        #expect(RFC3339.format(z) == "2026-01-01T00:00:00.000000Z")
    }

    @Test("without logsPolicy CLOUD_LOGGING a job writes no entries, as on Batch")
    func noLogsPolicy() async throws {
        try await withCloud { _, client in
            var job = shellJob("echo silent")
            job["logsPolicy"] = nil
            _ = try await client.send("POST", "\(parent)/jobs?jobId=quiet", json: job)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/quiet")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
            let uid = try #require(done["uid"]?.stringValue)
            let logs = try await client.send(
                "POST", "/v2/entries:list",
                json: .object([
                    "resourceNames": .array([.string("projects/p")]), "filter": .string("labels.job_uid=\"\(uid)\""),
                ]))
            #expect(logs.status == 200)
            #expect(logs.json["entries"] == nil)
        }
    }

    @Test("entries:list filters, orders and pages a job's stdout and stderr")
    func entries() async throws {
        try await withCloud { _, client in
            let script = "for i in 1 2 3 4 5; do echo line$i; done; echo bad >&2"
            _ = try await client.send("POST", "\(parent)/jobs?jobId=logs", json: shellJob(script))
            let job = try await waitForJob(client, "projects/p/locations/us-central1/jobs/logs")
            let uid = try #require(job["uid"]?.stringValue)
            func list(_ filter: String, order: String = "timestamp asc", pageSize: Int = 1000, token: String? = nil)
                async throws -> TestResponse
            {
                var body: [String: JSONValue] = [
                    "resourceNames": .array([.string("projects/p")]), "filter": .string(filter),
                    "orderBy": .string(order), "pageSize": .int(Int64(pageSize)),
                ]
                if let token { body["pageToken"] = .string(token) }
                return try await client.send("POST", "/v2/entries:list?prettyPrint=false", json: .object(body))
            }
            let all = try await list("labels.job_uid=\"\(uid)\"")
            let payloads = (all.json["entries"]?.arrayValue ?? []).compactMap { $0["textPayload"]?.stringValue }
            #expect(payloads.filter { $0.hasPrefix("line") } == ["line1", "line2", "line3", "line4", "line5"])
            #expect(payloads.contains("bad"))
            let errors = try await list("labels.job_uid=\"\(uid)\" AND severity>=ERROR")
            #expect((errors.json["entries"]?.arrayValue ?? []).compactMap { $0["textPayload"]?.stringValue } == ["bad"])
            let desc = try await list("labels.job_uid=\"\(uid)\" AND textPayload:line", order: "timestamp desc")
            #expect((desc.json["entries"]?.arrayValue ?? []).first?["textPayload"] == .string("line5"))
            var paged: [String] = []
            var token: String?
            repeat {
                let page = try await list("labels.job_uid=\"\(uid)\" AND textPayload:line", pageSize: 2, token: token)
                paged += (page.json["entries"]?.arrayValue ?? []).compactMap { $0["textPayload"]?.stringValue }
                token = page.json["nextPageToken"]?.stringValue
            } while token != nil
            #expect(paged == ["line1", "line2", "line3", "line4", "line5"])
            let future = try await list("labels.job_uid=\"\(uid)\" AND timestamp>\"2999-01-01T00:00:00.5+0000\"")
            #expect(future.json["entries"] == nil)
            let past = try await list("labels.job_uid=\"\(uid)\" AND timestamp>=\"2000-01-01T00:00:00+0000\"")
            #expect(past.json["entries"]?.arrayValue?.count == 6)
            let task = try await list(
                "labels.task_id=\"\(uid)-group0-0\" AND logName=\"projects/p/logs/batch_task_logs\"")
            #expect(task.json["entries"]?.arrayValue?.count == 6)
            let otherProject = try await client.send(
                "POST", "/v2/entries:list",
                json: .object([
                    "resourceNames": .array([.string("projects/other")]),
                    "filter": .string("labels.job_uid=\"\(uid)\""),
                ]))
            #expect(otherProject.json["entries"] == nil)
            let bad = try await list("labels.job_uid=(")
            #expect(bad.status == 400)
            #expect(bad.json["error"]?["message"]?.stringValue?.contains("character") == true)
        }
    }
}
