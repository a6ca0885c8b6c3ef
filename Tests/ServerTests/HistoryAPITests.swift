import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ledger
import NIOCore
import Server
import Synchronization
import Testing

@testable import Engine

/// A ledger in a temporary folder with three executions: exec-1 (company.team/hello, SUCCEEDED, with log lines),
/// exec-2 (company.team/other, FAILED) and exec-3 (acme/hello, running).
final class HistoryLedger {
    let folder: URL
    let store: EventStore
    private let now: LedgerTime

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Each execution recorded at a time of its own: exec-1 at 00:00:00Z, exec-2 at 00:00:03Z, exec-3 at
        // 00:00:05.5Z on 2025-01-01 (times with and without a fraction).
        let now = LedgerTime(Date(timeIntervalSince1970: 1_735_689_600))
        self.now = now
        store = try EventStore(
            path: folder.appendingPathComponent("ledger.db").path,
            options: .init(
                projections: [ProjectionRegistration(ExecutionSummaryProjection.self)],
                clock: { now.current.withLock { $0 } }))
        try append("exec-1", [
            Make.started(), Make.attempt("t"),
            Make.lines("t", [("INFO", false, "hello out"), ("ERROR", true, "a warning on stderr")]),
            Make.exit("t", code: 0), Make.succeeded("t"), Make.finished(.succeeded),
        ])
        now.current.withLock { $0 = $0.addingTimeInterval(3) }
        try append("exec-2", [
            Self.started("exec-2", namespace: "company.team", flow: "other"), Make.attempt("t"),
            Make.exit("t", code: 3), Make.failed("t", willRetry: false), Make.finished(.failed),
        ])
        now.current.withLock { $0 = $0.addingTimeInterval(2.5) }
        try append("exec-3", [Self.started("exec-3", namespace: "acme", flow: "hello"), Make.attempt("t")])
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func append(_ id: String, _ events: [ExecutionEvent]) throws {
        try store.append(events.map { try $0.encoded() }, to: id)
    }

    static func started(_ id: String, namespace: String, flow: String) -> ExecutionEvent {
        guard case .executionStarted(var started) = Make.started() else { fatalError("Make.started changed") }
        started.executionId = id
        started.namespace = namespace
        started.flowId = flow
        return .executionStarted(started)
    }
}

/// The time the test ledger records, set by hand.
final class LedgerTime: Sendable {
    let current: Mutex<Date>

    init(_ start: Date) { current = Mutex(start) }
}

/// What one request got back.
struct Answer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var json: Any?
    var text: String
}

func ask(
    _ server: KestraServer, _ uri: String, headers: HTTPFields = [:], method: HTTPRequest.Method = .get
) async throws -> Answer {
    try await server.application().test(.router) { client in
        try await client.execute(uri: uri, method: method, headers: headers) { response in
            let data = Data(buffer: response.body)
            return Answer(
                status: response.status, headers: response.headers,
                json: try? JSONSerialization.jsonObject(with: data), text: String(decoding: data, as: UTF8.self))
        }
    }
}

@Suite("Kestra's API over the ledger: executions, search and logs")
struct HistoryAPITests {
    let ledger: HistoryLedger
    let server: KestraServer

    init() throws {
        ledger = try HistoryLedger()
        server = KestraServer(store: ledger.store, tokens: nil)
    }

    @Test("an execution by id, in Kestra's shape and names; its id may come percent-encoded")
    func executionById() async throws {
        let answer = try await ask(server, "/api/v1/main/executions/exec%2D1")
        #expect(answer.status == .ok, "\(answer.text)")
        let execution = try #require(answer.json as? [String: Any])
        #expect(execution["id"] as? String == "exec-1")
        #expect(execution["namespace"] as? String == "company.team" && execution["flowId"] as? String == "hello")
        #expect((execution["state"] as? [String: Any])?["current"] as? String == "SUCCESS")
        let runs = try #require(execution["taskRunList"] as? [[String: Any]])
        #expect(runs.count == 1 && runs[0]["outputs"] is [String: Any])
        #expect(answer.headers[.contentType] == "application/json")
    }

    @Test("an unknown execution, tenant or path is 404 in Kestra's error shape")
    func notFound() async throws {
        for uri in ["/api/v1/main/executions/nope", "/api/v1/other/executions/exec-1", "/api/v2/main/x", "/"] {
            let answer = try await ask(server, uri)
            #expect(answer.status == .notFound, "\(uri)")
            let body = try #require(answer.json as? [String: Any], "\(uri): \(answer.text)")
            #expect((body["message"] as? String)?.isEmpty == false)
            #expect(((body["_links"] as? [String: Any])?["self"] as? [String: Any])?["href"] as? String != nil)
        }
        #expect(try await ask(server, "/api/v1/main/executions/exec-1", method: .delete).status == .notFound)
    }

    @Test("search: newest first, 1-based pages with the total, filters by namespace, flow and state")
    func search() async throws {
        func page(_ query: String) async throws -> (ids: [String], total: Int) {
            let answer = try await ask(server, "/api/v1/main/executions/search?\(query)")
            #expect(answer.status == .ok, "\(query): \(answer.text)")
            let body = try #require(answer.json as? [String: Any])
            let ids = (body["results"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            return (ids, body["total"] as? Int ?? -1)
        }
        let all = try await page("")
        #expect(all.total == 3 && Set(all.ids) == ["exec-1", "exec-2", "exec-3"])
        let first = try await page("page=1&size=2")
        let second = try await page("page=2&size=2")
        #expect(first.ids.count == 2 && second.ids.count == 1 && first.total == 3 && second.total == 3)
        #expect(Set(first.ids + second.ids) == Set(all.ids))
        #expect(try await page("page=3&size=2").ids.isEmpty)
        #expect(try await page("filters%5Bstate%5D%5BEQUALS%5D=FAILED").ids == ["exec-2"])
        #expect(try await page("filters%5Bstate%5D%5BIN%5D=SUCCESS%2CRUNNING").ids.sorted() == ["exec-1", "exec-3"])
        #expect(
            try await page("filters%5Bnamespace%5D%5BEQUALS%5D=company.team&filters%5BflowId%5D%5BEQUALS%5D=hello")
                .ids == ["exec-1"])
        #expect(try await page("filters%5Bnamespace%5D%5BPREFIX%5D=company").total == 2)
        // exec-1 started at 00:00:00Z, exec-2 at 00:00:03Z, exec-3 at 00:00:05.5Z: compared as times.
        let after = "filters%5BstartDate%5D%5BGREATER_THAN_OR_EQUAL_TO%5D="
        let before = "filters%5BstartDate%5D%5BLESS_THAN_OR_EQUAL_TO%5D="
        #expect(try await page(after + "2025-01-01T00:00:00Z").total == 3)
        #expect(try await page(after + "2025-01-01T00:00:05Z").ids == ["exec-3"])
        #expect(try await page(before + "2025-01-01T00:00:03.25Z").ids.sorted() == ["exec-1", "exec-2"])
        #expect(try await page(after + "2025-01-01T01:00:00%2B01:00&" + before + "2025-01-01T00:00:00Z").ids == ["exec-1"])
    }

    @Test("search refuses what it cannot answer: bad page numbers, unknown filters and states, with 400")
    func searchRefusals() async throws {
        for query in [
            "page=0", "size=0", "size=501", "page=x", "filters%5Blabels%5D%5BCONTAINS%5D%5Benv%5D=prod", "filters%5Bnamespace%5D%5BEQUALS%5D%5Bx%5D=y",
            "filters%5Bstate%5D%5BEQUALS%5D=SUCCEEDED", "filters%5Bbroken=1", "filters%5BstartDate%5D%5BLESS_THAN%5D=soon",
        ] {
            let answer = try await ask(server, "/api/v1/main/executions/search?\(query)")
            #expect(answer.status == .badRequest, "\(query): \(answer.status) \(answer.text)")
            #expect(((answer.json as? [String: Any])?["message"] as? String)?.isEmpty == false, "\(query)")
        }
    }

    @Test("logs: a bare array, filtered by minimum level and task; a bad level is 400")
    func logs() async throws {
        let all = try await ask(server, "/api/v1/main/logs/exec-1")
        #expect(all.status == .ok)
        let entries = try #require(all.json as? [[String: Any]], "\(all.text)")
        #expect(entries.map { $0["message"] as? String } == ["hello out", "a warning on stderr"])
        #expect(entries.allSatisfy { $0["executionId"] as? String == "exec-1" && $0["taskId"] as? String == "t" })
        let errors = try #require(try await ask(server, "/api/v1/main/logs/exec-1?minLevel=ERROR").json as? [[String: Any]])
        #expect(errors.map { $0["message"] as? String } == ["a warning on stderr"])
        #expect((try await ask(server, "/api/v1/main/logs/exec-1?taskId=other").json as? [Any])?.isEmpty == true)
        #expect(try await ask(server, "/api/v1/main/logs/exec-1?minLevel=LOUD").status == .badRequest)
        #expect(try await ask(server, "/api/v1/main/logs/exec-1?attempt=-1").status == .badRequest)
        #expect(try await ask(server, "/api/v1/main/logs/nope").status == .notFound)
    }

    @Test("with a token file, a request without a known bearer token is 401 and learns nothing")
    func tokens() async throws {
        let tokens = try APITokens(text: "# callers\nci:0123456789abcdef-ci\nalice:alice-token-0123456789\n", file: "t")
        let guarded = KestraServer(store: ledger.store, tokens: tokens)
        for header in [nil, "Bearer wrong-token-0123456789", "Basic YWxpY2U6eA==", "Bearer "] {
            var headers: HTTPFields = [:]
            if let header { headers[.authorization] = header }
            let answer = try await ask(guarded, "/api/v1/main/executions/exec-1", headers: headers)
            #expect(answer.status == .unauthorized, "\(header ?? "no header")")
            #expect(answer.headers[.wwwAuthenticate] == "Bearer")
            #expect(!answer.text.contains("SUCCESS") && !answer.text.contains("company.team"), "\(answer.text)")
        }
        let allowed = try await ask(
            guarded, "/api/v1/main/executions/exec-1", headers: [.authorization: "Bearer alice-token-0123456789"])
        #expect(allowed.status == .ok)
        #expect(tokens.caller("Bearer 0123456789abcdef-ci") == "ci")
        #expect(tokens.caller("bearer alice-token-0123456789") == "alice")
    }

    @Test("a token file that cannot be used is refused with its line, never its token")
    func tokenFileProblems() {
        let cases: [(String, String)] = [
            ("ci 0123456789abcdef-secret\n", "t:1: expected name:token"),
            ("ci:short-secret\n", "t:1: the token of ci is shorter than 16 characters"),
            ("ci:0123456789abcdef-secret\nci:0123456789abcdef-other\n", "t:2: ci is given twice"),
            ("\n# nothing\n", "t: no name:token line"),
            ("c i:0123456789abcdef-secret\n", "t:1: the name must be"),
        ]
        for (text, expected) in cases {
            do {
                _ = try APITokens(text: text, file: "t")
                Issue.record("accepted: \(text)")
            } catch {
                #expect("\(error)".hasPrefix(expected), "\(error)")
                #expect(!"\(error)".contains("secret") && !"\(error)".contains("other"), "\(error)")
            }
        }
    }
}
