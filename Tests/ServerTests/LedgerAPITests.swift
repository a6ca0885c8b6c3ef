import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Server
import Testing

@testable import Engine

@Suite("The ledger's own routes: events, the execution at a seq, audit, export and verify")
struct LedgerAPITests {
    let ledger: HistoryLedger
    let server: KestraServer

    init() throws {
        ledger = try HistoryLedger()
        server = KestraServer(store: ledger.store, tokens: nil)
    }

    func message(_ answer: Answer) -> String { (answer.json as? [String: Any])?["message"] as? String ?? "" }

    @Test("events: a page in stream order, each the object events --json prints, with the total after the cursor")
    func events() async throws {
        let all = try await ask(server, "/api/v1/main/executions/exec-1/events")
        #expect(all.status == .ok && all.headers[.contentType] == "application/json")
        let body = try #require(all.json as? [String: Any])
        let results = try #require(body["results"] as? [[String: Any]])
        #expect(body["total"] as? Int == 6 && results.count == 6)
        #expect(results.map { $0["version"] as? Int } == [1, 2, 3, 4, 5, 6])
        #expect(
            results.map { $0["type"] as? String } == [
                "ExecutionStarted", "AttemptStarted", "LogLinesReceived", "ExitCodeObserved", "TaskSucceeded",
                "ExecutionFinished",
            ])
        // The very bytes of events --json's lines.
        let recorded = try ledger.store.events(in: "exec-1")
        let expected =
            "{\"results\":["
            + recorded.map { String(decoding: EventJSON.object($0), as: UTF8.self) }
            .joined(separator: ",") + "],\"total\":6}"
        #expect(all.text == expected)
        #expect(
            Set(results[1].keys) == [
                "seq", "execution", "version", "type", "schema_version", "recorded_at", "task_run", "summary",
                "payload",
            ])
        #expect(results[1]["task_run"] as? String == "t" && results[0]["task_run"] is NSNull)

        let first = try #require(
            try await ask(server, "/api/v1/main/executions/exec-1/events?size=4").json as? [String: Any])
        let page = try #require(first["results"] as? [[String: Any]])
        #expect(page.count == 4 && first["total"] as? Int == 6)
        let cursor = try #require(page.last?["seq"] as? Int)
        let next = try #require(
            try await ask(server, "/api/v1/main/executions/exec-1/events?size=4&after=\(cursor)").json as? [String: Any]
        )
        #expect((next["results"] as? [[String: Any]])?.map { $0["version"] as? Int } == [5, 6])
        #expect(next["total"] as? Int == 2)
        let end = try #require(
            try await ask(server, "/api/v1/main/executions/exec-1/events?after=1000").json as? [String: Any])
        #expect((end["results"] as? [Any])?.isEmpty == true && end["total"] as? Int == 0)
    }

    @Test("events refuses bad cursors, sizes and parameters with 400, unknown executions with 404")
    func eventsRefusals() async throws {
        for query in ["size=0", "size=1001", "size=x", "after=-1", "after=1.5", "after=", "sizes=3"] {
            let answer = try await ask(server, "/api/v1/main/executions/exec-1/events?\(query)")
            #expect(answer.status == .badRequest, "\(query): \(answer.text)")
            #expect(!message(answer).isEmpty)
        }
        #expect(try await ask(server, "/api/v1/main/executions/nope/events").status == .notFound)
    }

    @Test("an execution at a seq: only the events up to it folded; 400 for a seq that is not one; 404 before it began")
    func executionAt() async throws {
        // exec-1 is seq 1…6, exec-2 seq 7…11, exec-3 seq 12…13.
        func state(_ query: String, _ id: String = "exec-1") async throws -> (String?, [String]) {
            let answer = try await ask(server, "/api/v1/main/executions/\(id)?\(query)")
            #expect(answer.status == .ok, "\(query): \(answer.text)")
            let execution = try #require(answer.json as? [String: Any])
            return (SSE.state(execution), SSE.taskRuns(execution))
        }
        #expect(try await state("at=1") == ("RUNNING", []))
        #expect(try await state("at=2") == ("RUNNING", ["RUNNING"]))
        #expect(try await state("at=5") == ("RUNNING", ["SUCCESS"]))
        #expect(try await state("at=6") == ("SUCCESS", ["SUCCESS"]))
        #expect(try await state("at=99") == ("SUCCESS", ["SUCCESS"]))
        #expect(try await state("at=9", "exec-2") == ("RUNNING", ["RUNNING"]))
        let before = try await ask(server, "/api/v1/main/executions/exec-2?at=6")
        #expect(before.status == .notFound && message(before).contains("no event yet at seq 6"))
        for value in ["0", "-1", "x", "1.5", "", "%2B1", "99999999999999999999"] {
            let answer = try await ask(server, "/api/v1/main/executions/exec-1?at=\(value)")
            #expect(answer.status == .badRequest, "at=\(value): \(answer.text)")
        }
        #expect(try await ask(server, "/api/v1/main/executions/nope?at=1").status == .notFound)
    }

    @Test("audit: the events audit finds, as events --json objects; requestedBy matches the payload's requestedBy")
    func audit() async throws {
        try ledger.append(
            "exec-4", [Self.asked(HistoryLedger.started("exec-4", namespace: "acme", flow: "hello"), by: "alice")])
        func found(_ query: String) async throws -> [[String: Any]] {
            let answer = try await ask(server, "/api/v1/main/audit?\(query)")
            #expect(answer.status == .ok, "\(query): \(answer.text)")
            return try #require(answer.json as? [[String: Any]], "\(query): \(answer.text)")
        }
        #expect(try await found("type=TaskFailed").map { $0["execution"] as? String } == ["exec-2"])
        #expect(try await found("type=ExecutionFinished&type=TaskFailed").count == 3)
        #expect(try await found("type=AttemptStarted&execution=exec-1&execution=exec-3").count == 2)
        let flow = try await found("flow=company.team/hello")
        #expect(!flow.isEmpty && flow.allSatisfy { $0["execution"] as? String == "exec-1" })
        #expect(try await found("flow=nobody/none").isEmpty)
        #expect(try await found("task=t&type=ExitCodeObserved").count == 2)
        #expect(try await found("job=job-1&execution=exec-2").map { $0["type"] as? String }.first == "AttemptStarted")
        #expect(
            try await found("since=2025-01-01T00:00:05Z").map { $0["execution"] as? String } == [
                "exec-3", "exec-3", "exec-4",
            ])
        #expect(try await found("until=2025-01-01T00:00:01Z").count == 6)
        #expect(try await found("limit=2").map { $0["seq"] as? Int } == [1, 2])
        let asked = try await found("requestedBy=alice")
        #expect(asked.map { $0["execution"] as? String } == ["exec-4"])
        #expect((asked.first?["payload"] as? [String: Any])?["requestedBy"] as? String == "alice")
        #expect(try await found("requestedBy=bob").isEmpty)
        // The same objects as the events route's.
        let one = try await ask(server, "/api/v1/main/audit?type=ExecutionStarted&execution=exec-1")
        let expected = try ledger.store.events(in: "exec-1").prefix(1).map {
            String(decoding: EventJSON.object($0), as: UTF8.self)
        }
        #expect(one.text == "[" + expected.joined() + "]")
    }

    @Test("audit refuses what audit refuses, and unknown parameters, with 400 saying what to send")
    func auditRefusals() async throws {
        let cases: [(String, String)] = [
            ("since=last%20tuesday", "since"), ("until=2026-13-01", "until"), ("flow=nonamespace", "NAMESPACE/ID"),
            ("limit=0", "limit"), ("limit=10001", "limit"), ("limit=x", "limit"), ("flows=a/b", "flows"),
            ("flow=a/b&flow=c/d", "once"),
        ]
        for (query, mention) in cases {
            let answer = try await ask(server, "/api/v1/main/audit?\(query)")
            #expect(answer.status == .badRequest, "\(query): \(answer.text)")
            #expect(message(answer).contains(mention), "\(query): \(message(answer))")
        }
    }

    @Test("export of one execution: the bytes batchledger export writes, in NDJSON, CSV and HTML")
    func exportExecution() async throws {
        let ndjson = try await ask(server, "/api/v1/main/executions/exec-1/export?format=ndjson")
        #expect(ndjson.status == .ok && ndjson.headers[.contentType] == "application/x-ndjson")
        #expect(ndjson.headers[.contentDisposition] == "attachment; filename=\"exec-1.ndjson\"")
        #expect(
            try withoutExportTime(ndjson.text)
                == withoutExportTime(
                    try written { out in
                        try ledger.store.exportNDJSON(ExportSelection(executions: ["exec-1"]), to: out)
                    }))
        #expect(ndjson.text.split(separator: "\n").count == 7)
        #expect(try await ask(server, "/api/v1/main/executions/exec-1/export").text.split(separator: "\n").count == 7)

        let csv = try await ask(server, "/api/v1/main/executions/exec-1/export?format=csv")
        #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
        #expect(
            csv.text
                == (try written { out in
                    try ledger.store.exportCSV(ExportSelection(executions: ["exec-1"]), to: out) { event in
                        let description = EventDescription(event)
                        return (description.taskRun, description.summary)
                    }
                }))

        let html = try await ask(server, "/api/v1/main/executions/exec-1/export?format=html")
        #expect(html.status == .ok && html.headers[.contentType] == "text/html; charset=utf-8")
        #expect(html.text.hasPrefix("<!DOCTYPE html>") && html.text.contains("exec-1"))

        for query in ["format=xml", "format=", "format=ndjson&since=1"] {
            #expect(
                try await ask(server, "/api/v1/main/executions/exec-1/export?\(query)").status == .badRequest,
                "\(query)")
        }
        #expect(try await ask(server, "/api/v1/main/executions/nope/export?format=csv").status == .notFound)
    }

    @Test("export of the whole ledger, streamed a page at a time: the same bytes as one export of it")
    func exportLedger() async throws {
        // Over two pages of events.
        try ledger.append("exec-3", (0..<1200).map { _ in Make.lines("t", [("INFO", false, "x")]) })
        let answer = try await ask(server, "/api/v1/main/export?format=ndjson")
        #expect(answer.status == .ok && answer.headers[.contentType] == "application/x-ndjson")
        #expect(answer.text.split(separator: "\n").count == 1 + 13 + 1200)
        #expect(
            try withoutExportTime(answer.text)
                == withoutExportTime(
                    try written { out in
                        try ledger.store.exportNDJSON(ExportSelection(), to: out)
                    }))
        let csv = try await ask(server, "/api/v1/main/export?format=csv")
        #expect(csv.text.split(separator: "\r\n").count == 1 + 13 + 1200)
        let html = try await ask(server, "/api/v1/main/export?format=html")
        #expect(html.status == .badRequest && message(html).contains("executions/{id}/export"))
    }

    @Test("verify: the object verify --json prints; an anchor the chain passes through, one it does not, a bad one")
    func verify() async throws {
        let plain = try await ask(server, "/api/v1/main/verify")
        #expect(plain.status == .ok)
        let report = try #require(plain.json as? [String: Any])
        #expect(report["valid"] as? Bool == true && report["eventsChecked"] as? Int == 13)
        // The object verify --json prints, without the server's own file path.
        #expect(plain.text == String(decoding: try LedgerVerification(ledger.store).json(ledger: nil), as: UTF8.self))
        #expect(report["ledger"] == nil && !plain.text.contains(ledger.store.path))
        let head = try #require(report["head"] as? [String: Any])
        let link = "\(head["seq"] as? Int ?? 0):\(head["hash"] as? String ?? "")"
        let anchored = try #require(try await ask(server, "/api/v1/main/verify?anchor=\(link)").json as? [String: Any])
        #expect(anchored["valid"] as? Bool == true && anchored["headReached"] as? Bool == true)
        let wrong = "5:" + String(repeating: "ab", count: 32)
        let broken = try #require(try await ask(server, "/api/v1/main/verify?anchor=\(wrong)").json as? [String: Any])
        #expect(broken["valid"] as? Bool == false && broken["headReached"] as? Bool == false)
        #expect((broken["anchorProblem"] as? String)?.contains("seq 5") == true)
        for anchor in ["abc", "0:" + String(repeating: "0", count: 64), "5:xyz", "5", ""] {
            let answer = try await ask(server, "/api/v1/main/verify?anchor=\(anchor)")
            #expect(answer.status == .badRequest, "\(anchor)")
            #expect(message(answer).contains("SEQ:HASH"))
        }
    }

    /// `event` with `"requestedBy": name` added to its payload, as events caused by a server's caller carry it.
    static func asked(_ event: ExecutionEvent, by name: String) throws -> NewEvent {
        var new = try event.encoded()
        var object = try #require(try JSONSerialization.jsonObject(with: new.payload) as? [String: Any])
        object["requestedBy"] = name
        new.payload = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return new
    }
}

extension HistoryLedger {
    func append(_ id: String, _ events: [NewEvent]) throws {
        try store.append(events, to: id)
    }
}

/// What `body` writes to an export file.
func written(_ body: (ExportOutput) throws -> Void) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try body(try ExportOutput.file(path))
    return try String(contentsOfFile: path, encoding: .utf8)
}

/// An NDJSON export with its header's `exported_at` blanked (two exports differ only there).
func withoutExportTime(_ text: String) throws -> String {
    text.replacingOccurrences(of: #""exported_at":"[^"]*""#, with: "\"exported_at\":\"\"", options: .regularExpression)
}
