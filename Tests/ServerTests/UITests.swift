import Foundation
import HTTPTypes
import Ledger
import Server
import Testing

@testable import Engine

@Suite("The web UI: the execution list, an execution's page and its data, the assets")
struct UITests {
    @Test("the list's first answer holds the rows, newest first, with state, duration and a spark of task runs")
    func firstRenderHasRows() async throws {
        let ledger = try HistoryLedger()
        let answer = try await send(uiServer(ledger.store), "/ui/")
        #expect(answer.status == .ok)
        #expect(answer.headers[.contentType] == "text/html; charset=utf-8")
        #expect(answer.rowIds == ["exec-3", "exec-2", "exec-1"])
        #expect(answer.text.contains(#"<tr data-execution-id="exec-2" data-state="FAILED">"#))
        #expect(answer.text.contains(#"<span class="cell s-SUCCESS" title="t: SUCCESS"></span>"#))
        #expect(answer.text.contains(#"<td class="duration">0ms</td>"#), "exec-1 began and ended in one instant")
        #expect(answer.text.contains(#"data-api-query="page=1&amp;size=50""#))
        #expect(answer.text.contains(#"<span id="total">3</span>"#))
        // The same page without the trailing slash; the root leads to it.
        #expect(try await send(uiServer(ledger.store), "/ui").rowIds.count == 3)
        let root = try await send(uiServer(ledger.store), "/")
        #expect(root.status == .seeOther && root.headers[.location] == "/ui/")
    }

    @Test("filters: state, flow, time range and label narrow the rows and the API query the script polls")
    func filters() async throws {
        let ledger = try HistoryLedger()
        try ledger.append("exec-4", [HistoryLedger.started("exec-4", namespace: "acme", flow: "hello")])
        let server = uiServer(ledger.store)
        #expect(try await send(server, "/ui/?state=FAILED").rowIds == ["exec-2"])
        #expect(try await send(server, "/ui/?state=SUCCESS&state=RUNNING").rowIds == ["exec-4", "exec-3", "exec-1"])
        let flow = try await send(server, "/ui/?flow=company.team%2Fhello")
        #expect(flow.rowIds == ["exec-1"])
        #expect(
            flow.text.contains(
                "data-api-query=\"page=1&amp;size=50&amp;filters%5Bnamespace%5D%5BEQUALS%5D=company.team&amp;"
                    + "filters%5BflowId%5D%5BEQUALS%5D=hello\""))
        #expect(try await send(server, "/ui/?from=2025-01-01T00:00:03Z").rowIds == ["exec-4", "exec-3", "exec-2"])
        #expect(try await send(server, "/ui/?to=2025-01-01T00:00").rowIds == ["exec-1"])
        // A label goes to the search API as Kestra's filters[labels][EQUALS][KEY]=VALUE.
        let labelled = try await send(server, "/ui/?label=team%3Adata&state=FAILED")
        #expect(labelled.rowIds == ["exec-2"])
        #expect(labelled.text.contains("filters%5Blabels%5D%5BEQUALS%5D%5Bteam%5D=data"))
        #expect(try await send(server, "/ui/?label=team%3Aother").rowIds.isEmpty)
        #expect(try await send(server, "/ui/?label=team").status == .badRequest)
        let refused = try await send(server, "/ui/?state=SUCCEEDED")
        #expect(refused.status == .badRequest && refused.text.contains("unknown state &#39;SUCCEEDED&#39;"))
        #expect(try await send(server, "/ui/?flow=nope").status == .badRequest)
        #expect(try await send(server, "/ui/?size=5000").status == .badRequest)
    }

    @Test("hostile values from the ledger are escaped: labels, flow and task ids never become markup")
    func escaping() async throws {
        let ledger = try UILedger()
        let hostile = "<script>alert(1)</script>"
        try ledger.append(
            "exec-x",
            [
                UILedger.started(
                    "exec-x", namespace: "evil\"><img src=x onerror=alert(2)>", flow: "f'<b>",
                    labels: ["note": hostile]),
                UILedger.attempt("r1", task: "t<script>alert(3)</script>", value: "\"><svg onload=alert(4)>"),
                Make.lines("r1", [("INFO", false, hostile)]),
            ])
        let server = uiServer(ledger.store)
        for uri in ["/ui/", "/ui/executions/exec-x", "/ui/?label=note%3A%3Cscript%3Ealert(1)%3C%2Fscript%3E"] {
            let page = try await send(server, uri)
            #expect(page.status == .ok, "\(uri)")
            #expect(!page.text.contains("<script>alert"), "\(uri)")
            #expect(
                !page.text.contains("<img src=x") && !page.text.contains("<svg") && !page.text.contains("<b>"), "\(uri)"
            )
            // Every script comes from /ui/assets/: none is inline.
            let scripts = page.text.components(separatedBy: "<script").dropFirst()
            #expect(!scripts.isEmpty && scripts.allSatisfy { $0.hasPrefix(" src=\"/ui/assets/") }, "\(uri)")
        }
        let list = try await send(server, "/ui/")
        #expect(list.text.contains("note:&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(list.text.contains("evil&quot;&gt;&lt;img src=x onerror=alert(2)&gt;/f&#39;&lt;b&gt;"))
        #expect(
            list.text.contains("title=\"t&lt;script&gt;alert(3)&lt;/script&gt; [&quot;&gt;&lt;svg onload=alert(4)&gt;]")
        )
        // The log line reaches the page only through the API's JSON, which the script shows as text.
        let logs = try await send(server, "/api/v1/main/logs/exec-x")
        #expect((logs.json as? [[String: Any]])?.first?["message"] as? String == hostile)
        #expect(logs.headers[.contentType] == "application/json")
    }

    @Test("HTML escapes the five characters that matter and the control characters HTML forbids")
    func escapeFunction() {
        #expect(HTML.escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&#39;f")
        #expect(HTML.escape("tab\tline\nnul\u{0}esc\u{1B}") == "tab\tline\nnul\u{FFFD}esc\u{FFFD}")
        let value = "<x>"
        let html: HTML = "<td title=\"\(value)\">\(value)</td>"
        #expect(html.text == "<td title=\"&lt;x&gt;\">&lt;x&gt;</td>")
    }

    @Test("1,000 executions: the list renders one page of 50, pages through all of them, and the last page is short")
    func thousandExecutionsPaged() async throws {
        let ledger = try UILedger()
        try ledger.fillMany(1_000)
        let server = uiServer(ledger.store)
        let first = try await send(server, "/ui/")
        #expect(first.rowIds.count == 50)
        #expect(first.rowIds.first == "exec-00999" && first.rowIds.last == "exec-00950")
        #expect(
            first.text.contains(#"<span id="total">1000</span>"#) && first.text.contains(#"<span id="pages">20</span>"#)
        )
        #expect(first.text.contains(#"href="/ui/?page=2" rel="next""#))
        #expect(first.text.utf8.count < 120_000, "one page, not the whole list: \(first.text.utf8.count) bytes")
        let last = try await send(server, "/ui/?page=20")
        #expect(last.rowIds.count == 50 && last.rowIds.last == "exec-00000")
        #expect(try await send(server, "/ui/?page=21").rowIds.isEmpty)
        let small = try await send(server, "/ui/?size=10&page=100")
        #expect(small.rowIds == (0..<10).reversed().map { String(format: "exec-%05d", $0) })
        #expect(small.text.contains(#"href="/ui/?size=10&amp;page=99" rel="prev""#))
        let failed = try await send(server, "/ui/?state=FAILED&page=3")
        #expect(failed.rowIds.count == 43 && failed.text.contains(#"<span id="total">143</span>"#))
        let batch = try await send(server, "/ui/?label=batch%3A3&page=2")
        #expect(batch.rowIds.count == 50 && batch.rowIds.first == "exec-00349" && batch.rowIds.last == "exec-00300")
    }

    @Test("the timeline: each attempt its own bar, a preempted spot attempt marked, any event's state by seq")
    func timeline() async throws {
        let ledger = try UILedger()
        try ledger.append("e", [UILedger.started("e"), UILedger.attempt("r1", task: "train")])
        ledger.advance(10)
        try ledger.append("e", UILedger.preempted("r1"))
        ledger.advance(1)
        try ledger.append("e", [UILedger.attempt("r1", task: "train", attempt: 2, provisioning: "STANDARD")])
        ledger.advance(20)
        try ledger.append("e", [Make.exit("r1", attempt: 2, code: 0), Make.succeeded("r1", attempt: 2)])
        try ledger.append("e", [Make.finished(.succeeded)])
        let server = uiServer(ledger.store)

        let answer = try await send(server, "/ui/executions/e/timeline.json?index=true")
        #expect(answer.status == .ok, "\(answer.text)")
        let timeline = try #require(answer.json as? [String: Any])
        #expect(timeline["state"] as? String == "SUCCESS")
        let runs = try #require(timeline["taskRuns"] as? [[String: Any]])
        let attempts = try #require(runs.first?["attempts"] as? [[String: Any]])
        #expect(attempts.count == 2)
        #expect(attempts[0]["preempted"] as? Bool == true && attempts[0]["state"] as? String == "FAILED")
        #expect(attempts[0]["exitCode"] as? Int == 50001 && attempts[0]["provisioning"] as? String == "SPOT")
        #expect(attempts[0]["start"] as? String == "2025-01-01T00:00:00.000000Z")
        #expect(attempts[0]["end"] as? String == "2025-01-01T00:00:10.000000Z")
        #expect(attempts[1]["preempted"] as? Bool == false && attempts[1]["state"] as? String == "SUCCESS")
        #expect(attempts[1]["provisioning"] as? String == "STANDARD")
        #expect(attempts[1]["end"] as? String == "2025-01-01T00:00:31.000000Z")
        let index = try #require(timeline["events"] as? [String: Any])
        let seqs = try #require(index["seqs"] as? [Int])
        #expect(seqs == Array(1...8) && timeline["eventCount"] as? Int == 8)
        let names = try #require(index["typeNames"] as? [String])
        #expect((index["types"] as? [Int])?.map { names[$0] }.first == "ExecutionStarted")

        // As of seq 4 (the preemption recorded), the retry has not begun: one failed attempt, RUNNING, and what
        // still runs ends at that event's time, not the server's.
        let before = try #require(try await send(server, "/ui/executions/e/timeline.json?at=4").json as? [String: Any])
        #expect(before["state"] as? String == "RUNNING" && before["seq"] as? Int == 4 && before["lastSeq"] as? Int == 8)
        let runsBefore = try #require(before["taskRuns"] as? [[String: Any]])
        #expect((runsBefore.first?["attempts"] as? [Any])?.count == 1)
        #expect(runsBefore.first?["state"] as? String == "RUNNING")
        #expect(before["now"] as? String == "2025-01-01T00:00:10.000000Z")
        #expect(before["events"] == nil)

        #expect(try await send(server, "/ui/executions/e/timeline.json?at=x").status == .badRequest)
        #expect(try await send(server, "/ui/executions/nope/timeline.json").status == .notFound)
        let events = try #require(
            try await send(server, "/ui/executions/e/events.json?after=3&size=2").json as? [String: Any])
        #expect(events["total"] as? Int == 5, "the events after seq 3")
        #expect((events["results"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int } == [4, 5])
        #expect((events["results"] as? [[String: Any]])?.first?["type"] as? String == "TaskFailed")
    }

    @Test("an execution's page: the header on the server, the rest for its script; an unknown one is 404")
    func executionPage() async throws {
        let ledger = try HistoryLedger()
        let server = uiServer(ledger.store)
        let page = try await send(server, "/ui/executions/exec-2")
        #expect(page.status == .ok)
        #expect(page.text.contains(#"data-execution-id="exec-2" data-state="FAILED""#))
        #expect(page.text.contains(#"<script src="/ui/assets/execution.js" defer></script>"#))
        #expect(page.text.contains(#"href="/api/v1/main/executions/exec-2/export?format=csv""#))
        #expect(page.text.contains(#"<div id="gantt""#) && page.text.contains(#"<input type="range" id="slider""#))
        let missing = try await send(server, "/ui/executions/%3Cnope%3E")
        #expect(missing.status == .notFound && missing.text.contains("&#39;&lt;nope&gt;&#39;"))
        #expect(try await send(server, "/ui/nowhere").status == .notFound)
        for uri in ["/ui/flows", "/ui/flows/company.team/hello", "/ui/audit?type=JobCreated"] {
            #expect(try await send(server, uri).status == .ok, "\(uri)")
        }
    }

    @Test("assets come from the binary with their types, the security headers and an ETag; pages carry them too")
    func assets() async throws {
        let ledger = try HistoryLedger()
        let server = uiServer(ledger.store)
        for (name, type) in [
            ("app.css", "text/css; charset=utf-8"), ("common.js", "text/javascript; charset=utf-8"),
            ("list.js", "text/javascript; charset=utf-8"), ("execution.js", "text/javascript; charset=utf-8"),
            ("flows.js", "text/javascript; charset=utf-8"), ("audit.js", "text/javascript; charset=utf-8"),
        ] {
            let asset = try await send(server, "/ui/assets/\(name)")
            #expect(asset.status == .ok && asset.headers[.contentType] == type, "\(name)")
            #expect(asset.text.count > 500, "\(name)")
            let etag = try #require(asset.headers[.eTag])
            #expect(try await send(server, "/ui/assets/\(name)", headers: [.ifNoneMatch: etag]).status == .notModified)
        }
        #expect(try await send(server, "/ui/assets/nope.js").status == .notFound)
        for uri in ["/ui/", "/ui/assets/list.js", "/ui/executions/exec-1", "/ui/executions/exec-1/timeline.json"] {
            let answer = try await send(server, uri)
            let policy = try #require(answer.headers[.contentSecurityPolicy], "\(uri)")
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "\(uri)")
            #expect(policy.contains("frame-ancestors 'none'"), "\(uri)")
            #expect(answer.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(uri)")
        }
    }
}
