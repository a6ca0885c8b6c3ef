import Foundation
import Testing

@testable import GoogleCloud

@Suite("Cloud Logging client and the multi-job reader")
struct LoggingClientTests {
    @Test("entries:list sends the body google-cloud-logging sends")
    func requestShape() async throws {
        let transport = ScriptedTransport([.response(.json("{}"))])
        let client = LoggingClient(caller: caller(transport), endpoint: endpoint)
        let filter =
            "logName=(\"projects/my-project/logs/batch_task_logs\" OR \"projects/my-project/logs/batch_agent_logs\") AND labels.job_uid=\"exec-123-task-b57bab898d50\" AND timestamp>=\"2026-01-01T00:00:00Z\""
        let page = try await client.list(resourceNames: ["projects/my-project"], filter: filter)
        #expect(page.entries.isEmpty)
        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.target == "/v2/entries:list")
        let body = try #require(request.bodyJSON as? [String: Any])
        #expect(body["resourceNames"] as? [String] == ["projects/my-project"])
        #expect(body["filter"] as? String == filter)
        #expect(body["orderBy"] as? String == "timestamp asc")
        #expect(body["pageSize"] as? Int == 1000)
    }

    @Test("timestamps parse with Z, offsets and any fractional digits, and order correctly")
    func timestamps() throws {
        let z = try #require(LogTimestamp("2026-01-01T00:00:00Z"))
        #expect(z.seconds == 1_767_225_600)
        #expect(LogTimestamp("2026-01-01T01:00:00+01:00") == z)
        #expect(LogTimestamp("2026-01-01T01:00:00+0100") == z)
        #expect(LogTimestamp("2025-12-31T23:30:00-00:30") == z)
        let fine = try #require(LogTimestamp("2026-01-01T00:00:00.123456789Z"))
        #expect(fine.nanos == 123_456_789)
        #expect(LogTimestamp("2026-01-01T00:00:00.5Z")!.nanos == 500_000_000)
        #expect(z < fine)
        #expect(fine.description == "2026-01-01T00:00:00.123456789Z")
        #expect(LogTimestamp("yesterday") == nil)
        #expect(LogTimestamp("2026-01-01T00:00:00") == nil)
    }

    func entry(_ uid: String, _ time: String, _ id: String, _ text: String, severity: String = "INFO") -> String {
        "{\"logName\": \"projects/p/logs/batch_task_logs\", \"timestamp\": \"\(time)\", \"insertId\": \"\(id)\", "
            + "\"severity\": \"\(severity)\", \"labels\": {\"job_uid\": \"\(uid)\", \"task_id\": \"\(uid)-group0-0\"}, "
            + "\"textPayload\": \"\(text)\"}"
    }

    @Test("one query for many jobs, paged; each job's lines come once, after its own cursor")
    func multiJobReader() async throws {
        let transport = ScriptedTransport([
            .response(
                .json(
                    "{\"entries\": [\(entry("u1", "2026-01-01T00:00:01Z", "a", "one")), \(entry("u2", "2026-01-01T00:00:01Z", "b", "two"))], \"nextPageToken\": \"p2\"}"
                )),
            .response(.json("{\"nextPageToken\": \"p3\"}")),
            .response(
                .json(
                    "{\"entries\": [\(entry("u1", "2026-01-01T00:00:02.5Z", "c", "three", severity: "ERROR")), \(entry("u9", "2026-01-01T00:00:03Z", "z", "not ours"))]}"
                )),
            .response(
                .json(
                    "{\"entries\": [\(entry("u1", "2026-01-01T00:00:02.5Z", "c", "three")), \(entry("u1", "2026-01-01T00:00:02.5Z", "d", "four")), \(entry("u2", "2026-01-01T00:00:01Z", "b", "two"))]}"
                )),
        ])
        let reader = BatchLogReader(
            client: LoggingClient(caller: caller(transport), endpoint: endpoint), project: "p",
            budget: RequestBudget(perMinute: 55))
        let first = try await reader.read(["u1": .start, "u2": .start])
        #expect(first.entries["u1"]?.map(\.text) == ["one", "three"])
        #expect(first.entries["u1"]?.last?.severity == "ERROR")
        #expect(first.entries["u2"]?.map(\.text) == ["two"])
        #expect(first.entries["u9"] == nil)
        let body = try #require(transport.requests[0].bodyJSON as? [String: Any])
        #expect(
            body["filter"] as? String
                == "logName=\"projects/p/logs/batch_task_logs\" AND (labels.job_uid=\"u1\" OR labels.job_uid=\"u2\")")
        #expect((transport.requests[1].bodyJSON as? [String: Any])?["pageToken"] as? String == "p2")

        let second = try await reader.read(first.cursors)
        #expect(
            second.entries["u1"]?.map(\.text) == ["four"],
            "same timestamp, greater insertId: delivered; earlier ones not again")
        #expect(second.entries["u2"] == nil)
        let since = try #require(transport.requests[3].bodyJSON as? [String: Any])["filter"] as? String
        #expect(since?.hasSuffix("AND timestamp>=\"2026-01-01T00:00:01.000000000Z\"") == true)
    }

    @Test("the budget holds callers to the per-minute allowance")
    func budget() async throws {
        let clock = Waits()
        let budget = RequestBudget(perMinute: 3, clock: clock.clock)
        try await budget.acquire()
        try await budget.acquire()
        try await budget.acquire()
        #expect(await budget.used == 3)
        #expect(clock.recorded.isEmpty)
        // The fourth call waits until the first has aged a minute, on the injected clock.
        try await budget.acquire()
        #expect(clock.recorded == [.seconds(60)])
        #expect(await budget.used == 1)
    }
}

@Suite("Log filters stay within Cloud Logging's limit")
struct LogFilterLimitTests {
    @Test("a thousand jobs are read in several queries, each filter under 20,000 characters")
    func manyJobs() async throws {
        let transport = ScriptedTransport()
        transport.fallback = { _ in .json("{}") }
        let reader = BatchLogReader(
            client: LoggingClient(caller: caller(transport), endpoint: endpoint), project: "p",
            budget: RequestBudget(perMinute: 10_000))
        var cursors: [String: LogCursor] = [:]
        for index in 0..<1000 { cursors["job-uid-\(index)-0123456789abcdef"] = .start }
        _ = try await reader.read(cursors)
        let filters = transport.requests.compactMap { ($0.bodyJSON as? [String: Any])?["filter"] as? String }
        #expect(filters.count > 1)
        #expect(filters.allSatisfy { $0.count < 20_000 })
        let asked = filters.flatMap { $0.components(separatedBy: "labels.job_uid=\"").dropFirst() }.count
        #expect(asked == 1000, "every job is in exactly one query")
    }
}
