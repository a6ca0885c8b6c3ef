import Foundation
import Synchronization
import Testing

@testable import Ledger

/// Audit queries on a ledger of 1,000,000 engine-shaped events (2,000 executions of 10 task runs each, 500
/// events per execution, over two weeks). Slow to build (about a minute), so it runs only when `BATCHLEDGER_AUDIT_BENCH` names the ledger file
/// to use (built on first use, reused after):
///
///     BATCHLEDGER_AUDIT_BENCH=/tmp/audit1m.ledger swift test --filter ExportAuditBench
@Suite("Audit on 1,000,000 events", .enabled(if: ProcessInfo.processInfo.environment["BATCHLEDGER_AUDIT_BENCH"] != nil))
struct ExportAuditBenchTests {
    static let executions = 2_000
    static let start = Date().addingTimeInterval(-14 * 86_400)

    struct Payload: Encodable {
        struct Secret: Encodable { var name: String }
        var taskRunId: String?
        var attempt: Int?
        var jobId: String?
        var name: String?
        var state: String?
        var secretsUsed: [Secret]?
        var lines: [String]?
    }

    static func populate(_ path: String) throws -> EventStore {
        let clock = Mutex(start)
        let store = try EventStore(
            path: path,
            options: .init(clock: {
                clock.withLock { now in
                    now = now.addingTimeInterval(55)
                    return now
                }
            }))
        guard try store.lastSeq() < 1_000_000 else { return store }
        for execution in 0..<executions {
            let stream = String(format: "exec-%05d", execution)
            try store.append([try NewEvent(type: "ExecutionStarted", encoding: Payload())], to: stream)
            for task in 0..<10 {
                let run = task < 5 ? "task-\(task)" : "fanout[\(task)]"
                let job =
                    "ns-flow-\(stream)-\(run.replacingOccurrences(of: "[", with: "-").dropLast(task < 5 ? 0 : 1))-a1"
                var events: [NewEvent] = []
                func add(_ type: String, _ payload: Payload) throws {
                    events.append(try NewEvent(type: type, encoding: payload))
                }
                try add("AttemptStarted", Payload(taskRunId: run, attempt: 1, jobId: job))
                try add(
                    "TaskRendered",
                    Payload(
                        taskRunId: run, attempt: 1,
                        secretsUsed: [.init(name: "GCP_PROJECT_ID"), .init(name: "SECRET_\(execution % 50)")]))
                try add("JobCreateRequested", Payload(taskRunId: run, attempt: 1, jobId: job))
                try add("JobCreated", Payload(taskRunId: run, attempt: 1, name: "projects/p/locations/r/jobs/\(job)"))
                let polls = task == 9 ? 43 : 45
                for poll in 0..<polls {
                    if poll % 3 == 2 {
                        try add("LogLinesReceived", Payload(taskRunId: run, attempt: 1, lines: ["line \(poll)"]))
                    } else {
                        try add("JobPolled", Payload(taskRunId: run, attempt: 1, state: "RUNNING"))
                    }
                }
                let failed = (execution + task) % 97 == 0
                try add(
                    failed ? "TaskFailed" : "TaskSucceeded",
                    Payload(taskRunId: run, attempt: 1, state: failed ? "FAILED" : "SUCCEEDED"))
                if task == 9 { try add("ExecutionFinished", Payload(state: "SUCCEEDED")) }
                try store.append(events, to: stream)
            }
        }
        return store
    }

    func timed(_ label: String, _ filter: AuditFilter, on store: EventStore) throws -> (Int, Double) {
        let begin = ContinuousClock.now
        var count = 0
        try store.audit(filter) { _ in count += 1 }
        let elapsed = ContinuousClock.now - begin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "audit-bench %-48@ %7d events %8.3f s", label as NSString, count, seconds))
        return (count, seconds)
    }

    @Test("typical audit questions find what they should, through an index (their times are printed)")
    func questions() throws {
        let path = try #require(ProcessInfo.processInfo.environment["BATCHLEDGER_AUDIT_BENCH"])
        let store = try Self.populate(path)
        #expect(try store.lastSeq() >= 1_000_000)
        let weekAgo = Date().addingTimeInterval(-7 * 86_400)
        let cases: [(String, AuditFilter, ClosedRange<Int>)] = [
            (
                "JobCreated in the last 7 days",
                AuditFilter(events: EventFilter(types: ["JobCreated"], since: weekAgo)), 9_000...11_000
            ),
            ("TaskFailed, all time", AuditFilter(events: EventFilter(types: ["TaskFailed"])), 100...300),
            ("task task-3 (every event, all executions)", AuditFilter(taskRuns: ["task-3"]), 100_000...100_000),
            (
                "task fanout (ForEach runs) TaskFailed",
                AuditFilter(events: EventFilter(types: ["TaskFailed"]), taskRuns: ["fanout"]), 50...150
            ),
            ("one execution's trail", AuditFilter(events: EventFilter(streams: ["exec-01234"])), 500...500),
            (
                "secret SECRET_7 (TaskRendered)",
                AuditFilter(
                    events: EventFilter(types: ["TaskRendered", "AttemptStarted"]),
                    payload: [.arrayContains(path: "$.secretsUsed", field: "name", value: "SECRET_7")]), 400...400
            ),
            (
                "job by short name",
                AuditFilter(
                    events: EventFilter(types: ["AttemptStarted", "JobCreateRequested", "JobCreated"]),
                    payload: [
                        .anyOf([
                            .equals(path: "$.jobId", value: "ns-flow-exec-01234-task-3-a1"),
                            .endsWith(path: "$.name", suffix: "/jobs/ns-flow-exec-01234-task-3-a1"),
                        ])
                    ]), 3...3
            ),
            (
                "one hour of everything",
                AuditFilter(events: EventFilter(since: weekAgo, until: weekAgo.addingTimeInterval(3600))),
                1_000...70_000
            ),
        ]
        for (label, filter, expected) in cases {
            let (count, _) = try timed(label, filter, on: store)
            #expect(expected.contains(count), "\(label): \(count) events")
            // What keeps a question fast on a million events is its plan, not this machine's speed that day.
            let plan = try store.auditPlan(filter)
            #expect(!plan.contains { $0.contains("SCAN events") && !$0.contains("INDEX") }, "\(label): \(plan)")
        }
    }
}
