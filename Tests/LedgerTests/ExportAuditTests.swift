import Foundation
import Testing

@testable import Ledger

@Suite("Audit queries, CSV, HTML and the projection check")
struct ExportAuditTests {
    let folder: TemporaryFolder
    let store: EventStore

    init() throws {
        folder = try TemporaryFolder()
        store = try EventStore(path: folder.path("audit.ledger"))
        struct Rendered: Encodable {
            struct Secret: Encodable { var name: String }
            var taskRunId: String
            var attempt: Int
            var secretsUsed: [Secret]
        }
        try store.append(
            [
                try NewEvent(
                    type: "TaskRendered",
                    encoding: Rendered(taskRunId: "probe[0]", attempt: 1, secretsUsed: [.init(name: "KEY")])),
                try NewEvent(
                    type: "JobCreated",
                    encoding: ["taskRunId": "probe[0]", "name": "projects/p/locations/r/jobs/job-1"]),
                try NewEvent(
                    type: "JobCreated",
                    encoding: ["taskRunId": "probe[1]", "name": "projects/p/locations/r/jobs/job-2"]),
                try NewEvent(
                    type: "JobCreated", encoding: ["taskRunId": "probe2", "name": "projects/p/locations/r/jobs/job-3"]),
                try NewEvent(type: "TaskRendered", encoding: Rendered(taskRunId: "other", attempt: 1, secretsUsed: [])),
            ], to: "e1")
        // Payloads that are not JSON must not break appends now that an index reads JSON.
        try store.append(
            [NewEvent(type: "Opaque", payload: Data([0xff, 0xfe])), NewEvent(type: "Empty", payload: Data())], to: "e2")
    }

    func seqs(_ filter: AuditFilter) throws -> [Int64] {
        var found: [Int64] = []
        try store.audit(filter) { found.append($0.seq) }
        return found
    }

    @Test("a task id takes in its ForEach runs, not another task that shares its prefix")
    func byTask() throws {
        #expect(try seqs(AuditFilter(taskRuns: ["probe"])) == [1, 2, 3])
        #expect(try seqs(AuditFilter(taskRuns: ["probe[1]"])) == [3])
        #expect(try seqs(AuditFilter(taskRuns: ["probe2", "other"])) == [4, 5])
        let plan = try store.auditPlan(AuditFilter(taskRuns: ["probe"])).joined(separator: "\n")
        #expect(plan.contains("events_by_task_run"), "\(plan)")
    }

    @Test("payload conditions: a secret by name, a job by its short name, combined with types and executions")
    func payloadConditions() throws {
        let secret = PayloadCondition.arrayContains(path: "$.secretsUsed", field: "name", value: "KEY")
        #expect(try seqs(AuditFilter(payload: [secret])) == [1])
        #expect(try seqs(AuditFilter(payload: [.endsWith(path: "$.name", suffix: "/jobs/job-2")])) == [3])
        #expect(try seqs(AuditFilter(payload: [.endsWith(path: "$.name", suffix: "/jobs/job-")])) == [])
        #expect(
            try seqs(
                AuditFilter(
                    events: EventFilter(types: ["JobCreated"], streams: ["e1"]),
                    payload: [
                        .anyOf([
                            .equals(path: "$.taskRunId", value: "probe2"),
                            .equals(path: "$.taskRunId", value: "probe[0]"),
                        ])
                    ]))
                == [2, 4])
        #expect(try seqs(AuditFilter(events: EventFilter(types: ["Opaque", "Empty"]))) == [6, 7])
        #expect(try seqs(AuditFilter(events: EventFilter(streams: ["e2"]), taskRuns: ["probe"])) == [])
    }

    @Test("CSV fields are quoted when needed, and formulas are defused")
    func csv() throws {
        #expect(CSVExport.field("plain") == "plain")
        #expect(CSVExport.field("a,b") == "\"a,b\"")
        #expect(CSVExport.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVExport.field("two\nlines") == "\"two\nlines\"")
        #expect(CSVExport.field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        let path = folder.path("e.csv")
        try store.exportCSV(ExportSelection(executions: ["e1"]), to: .file(path)) { event in
            (event.seq == 1 ? "probe[0]" : nil, event.seq == 2 ? "created, \"job-1\"" : event.type)
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let rows = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows.count == 6)
        #expect(rows[0] == CSVExport.columns.joined(separator: ","))
        #expect(rows[1].hasPrefix("1,e1,1,TaskRendered,1,"))
        #expect(rows[1].contains(",probe[0],TaskRendered,"))
        #expect(rows[2].contains(",\"created, \"\"job-1\"\"\","))
    }

    @Test("the HTML page escapes every text and has one bar per task run with its state")
    func html() throws {
        let page = TimelinePage(
            executionId: "x<1>", flow: "ns/<b>flow</b>", state: "FAILED", startedAt: "2026-01-01T00:00:00.000000Z",
            endedAt: "2026-01-01T00:00:10.000000Z", throughSeq: 9, generatedAt: "2026-01-01T00:00:11.000000Z",
            taskRuns: [
                .init(
                    id: "a\"b", state: "SUCCEEDED", startedAt: "2026-01-01T00:00:00.000000Z",
                    endedAt: "2026-01-01T00:00:05.000000Z",
                    attempts: [
                        .init(
                            number: 1, outcome: "SUCCEEDED", startedAt: "2026-01-01T00:00:00.000000Z",
                            endedAt: "2026-01-01T00:00:05.000000Z",
                            steps: [.init(at: "2026-01-01T00:00:01.000000Z", name: "job created", detail: "<i>")])
                    ], vars: [("k", "\"<v>\"")], files: [], failureReason: nil),
                .init(
                    id: "c", state: "FAILED", startedAt: "2026-01-01T00:00:05.000000Z",
                    endedAt: "2026-01-01T00:00:10.000000Z", attempts: [], vars: [], files: [],
                    failureReason: "exit 3: <oops>"),
            ],
            logs: [.init(time: "t", taskRun: "c", severity: "ERROR", text: "</pre><script>alert(1)</script>")])
        let html = HTMLTimeline.render(page)
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<b>flow"))
        #expect(html.contains("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(
            html.contains(
                "<div class=\"bar\" data-taskrun=\"a&quot;b\" data-state=\"SUCCEEDED\" style=\"left:0.000%;width:50.000%\""
            ))
        #expect(
            html.contains(
                "<div class=\"bar\" data-taskrun=\"c\" data-state=\"FAILED\" style=\"left:50.000%;width:50.000%\""))
        #expect(html.components(separatedBy: "class=\"bar\"").count == 3)
        #expect(!html.contains("http://") && !html.contains("https://"), "self-contained: no external resource")
    }

    @Test("the projection check compares the cache with a fold of the log and names the execution that differs")
    func projectionCheck() throws {
        let projected = try EventStore(
            path: folder.path("p.ledger"), options: .init(projections: [ProjectionRegistration(TypeCounts.self)]))
        for index in 0..<10 {
            try projected.append([try event("Step", ["n": index])], to: index % 2 == 0 ? "a" : "b")
        }
        let clean = try projected.checkProjection(TypeCounts.self)
        #expect(clean.isValid)
        #expect(clean.keysCompared == 2 && clean.checkpointSeq == 10)
        let error = rawSQL(
            projected.path,
            "UPDATE projection_state SET state = CAST('{\"counts\":{},\"lastVersion\":1,\"total\":0}' AS BLOB) "
                + "WHERE key = 'b'")
        #expect(error == nil)
        let dirty = try projected.checkProjection(TypeCounts.self)
        #expect(dirty.mismatchedKeys == ["b"])
    }
}
