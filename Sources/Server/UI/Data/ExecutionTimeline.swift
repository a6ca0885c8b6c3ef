import Engine
import Foundation
import Ledger

/// What the execution page's Gantt chart draws, as of an event (`at`, a `seq`) or of the last: each task run with
/// each of its attempts as its own bar (start, end, outcome, exit code, the VM's provisioning model and whether
/// Batch preempted it), and the index of the execution's events (their `seq` and type) for the event slider.
/// Served as JSON at `/ui/executions/{id}/timeline.json`.
struct ExecutionTimeline: Encodable {
    struct Run: Encodable {
        var id: String
        var taskId: String
        var value: String?
        /// Kestra's state name.
        var state: String
        var start: String?
        var end: String?
        var attempts: [Attempt]
        /// The execution the outcome was taken from, for a forked run.
        var adoptedFrom: String?
    }

    struct Attempt: Encodable {
        /// From 1.
        var number: Int
        var start: String
        var end: String?
        /// Kestra's state name: RUNNING until the attempt's outcome is recorded.
        var state: String
        var exitCode: Int?
        /// Batch stopped the attempt's VM (exit code 50001).
        var preempted: Bool
        /// SPOT, STANDARD or PREEMPTIBLE.
        var provisioning: String
        var job: String?
        var reason: String?
    }

    /// The execution's events: `seqs[i]` is the `seq` of its event `i + 1`, `types[i]` an index into `typeNames`.
    struct EventIndex: Encodable {
        var seqs: [Int64]
        var types: [Int]
        var typeNames: [String]
    }

    var id: String
    var namespace: String
    var flowId: String
    var state: String
    var start: String?
    var end: String?
    /// The end of what is still running: the server's time, or the time of event `at`.
    var now: String
    /// The last event folded.
    var seq: Int64
    /// The execution's last event (whatever `at` was).
    var lastSeq: Int64
    var eventCount: Int
    var taskRuns: [Run]
    var events: EventIndex?

    /// Batch's exit code for a task whose VM was preempted.
    static let preemptedExitCode = 50001

    /// The timeline of execution `id` as of event `at` (nil: the last), with the event index when `index`;
    /// `notFound` for an unknown execution.
    static func read(
        _ id: String, from store: EventStore, at: Int64?, index: Bool, now: Date
    ) throws -> ExecutionTimeline {
        guard !id.isEmpty, id.count <= 128 else { throw APIError.notFound("no execution \(MessageQuote.quoted(id))") }
        var record = ExecutionRecord()
        var names: [String] = []
        var nameIndex: [String: Int] = [:]
        var events = EventIndex(seqs: [], types: [], typeNames: [])
        var lastSeq: Int64 = 0
        var count = 0
        var foldedAt: String?
        try store.readStream(id) { event in
            count += 1
            lastSeq = event.seq
            if at == nil || event.seq <= at! {
                try record.apply(event)
                foldedAt = event.recordedAt
            }
            guard index else { return }
            let type =
                nameIndex[event.type]
                ?? {
                    names.append(event.type)
                    nameIndex[event.type] = names.count - 1
                    return names.count - 1
                }()
            events.seqs.append(event.seq)
            events.types.append(type)
        }
        guard count > 0 else { throw APIError.notFound("no execution \(MessageQuote.quoted(id))") }
        events.typeNames = names
        let state = record.state
        return ExecutionTimeline(
            id: id, namespace: state.namespace, flowId: state.flowId,
            state: state.executionId.isEmpty ? "CREATED" : Kestra.StateType(state.state).rawValue,
            start: state.startedAt.flatMap(Kestra.date), end: state.endedAt.flatMap(Kestra.date),
            now: at == nil ? Kestra.date(Timestamp(now)) : foldedAt.flatMap(Kestra.date) ?? Kestra.date(Timestamp(now)),
            seq: state.lastSeq, lastSeq: lastSeq, eventCount: count,
            taskRuns: state.taskRuns.map { run($0, record) }, events: index ? events : nil)
    }

    private static func run(_ run: TaskRunState, _ record: ExecutionRecord) -> Run {
        let history = record.taskRunHistories[run.taskRunId]
        let attempts = run.attempts.map { attempt -> Attempt in
            let outcome = attempt.outcome.map { Kestra.StateType($0) }
            let end = outcome == nil ? nil : history?.attempts[attempt.attempt]?.last?.date
            return Attempt(
                number: attempt.attempt, start: Kestra.date(attempt.startedAt) ?? attempt.startedAt, end: end,
                state: (outcome ?? .running).rawValue, exitCode: attempt.exitCode,
                preempted: attempt.exitCode == preemptedExitCode, provisioning: attempt.provisioningModel,
                job: attempt.jobName ?? attempt.jobId, reason: attempt.failureReason)
        }
        return Run(
            id: run.taskRunId, taskId: run.taskId, value: run.value, state: Kestra.StateType(run.state).rawValue,
            start: run.startedAt.flatMap(Kestra.date), end: run.endedAt.flatMap(Kestra.date), attempts: attempts,
            adoptedFrom: run.adoptedFrom)
    }
}
