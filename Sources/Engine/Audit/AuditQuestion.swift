import Foundation
import Ledger

/// A question across executions, as `batchledger audit` and the API's `audit` route ask it: which events of some
/// types, executions, flow, tasks, Batch job, secret, time range or requester. Every condition given must hold.
///
/// The values are the user's text; `problem()` says which one cannot be asked, and `answer` turns the question
/// into the ledger's `AuditFilter` (indexes first, payload conditions on the rows those leave).
public struct AuditQuestion: Sendable, Equatable {
    /// Event types (`JobCreated`); any of them.
    public var types: [String] = []
    /// Execution ids; any of them.
    public var executions: [String] = []
    /// `NAMESPACE/ID`: only executions of this flow.
    public var flow: String?
    /// Task ids (which take in their ForEach runs) or task run ids; any of them.
    public var tasks: [String] = []
    /// A Batch job's id or resource name: the events of the attempt that ran it.
    public var job: String?
    /// A secret's name: the events that name it (`TaskRendered`, `AttemptStarted`).
    public var secret: String?
    /// Events recorded at or after this time (`AuditTime`).
    public var since: String?
    /// Events recorded before this time (`AuditTime`).
    public var until: String?
    /// Events whose payload's `requestedBy` (who asked, a server's caller) is this name.
    public var requestedBy: String?
    /// At most this many events.
    public var limit: Int?
    /// Labels the events' executions must all have (`key` → `value`).
    public var labels: [String: String] = [:]

    public init() {}

    /// A value that cannot be asked: which one, and what is wrong with it and what to give instead.
    public struct Problem: Error, Sendable, Equatable {
        public enum Field: String, Sendable {
            case flow, since, until, limit
        }

        public var field: Field
        /// Follows the field's name: `2026-13-01: not a time …`, `must be at least 1`.
        public var detail: String

        /// The message with the field named as the caller knows it (`--since`, or `since`).
        public func message(naming name: String) -> String { "\(name) \(detail)" }
    }

    /// The first value that cannot be asked, or nil.
    public func problem(now: Date = Date()) -> Problem? {
        for (field, value) in [(Problem.Field.since, since), (.until, until)] {
            guard let value else { continue }
            if AuditTime.parse(value, now: now) == nil {
                return Problem(
                    field: field,
                    detail: "\(Excerpt.of(value)): not a time between the years 1 and 9999; use "
                        + "2026-11-22T08:00:00Z, 2026-11-22, or an age such as 7d / 24h / 90m")
            }
        }
        if let flow, flow.split(separator: "/").count != 2 {
            return Problem(
                field: .flow, detail: "\(Excerpt.of(flow)): give NAMESPACE/ID, for example company.team/multi_task")
        }
        if let limit, limit < 1 { return Problem(field: .limit, detail: "must be at least 1") }
        return nil
    }

    /// What `answer` found.
    public enum Outcome: Sendable, Equatable {
        /// The events were handed over (possibly none).
        case answered
        /// `flow` (or `labels`) names no execution in the ledger: nothing was asked.
        case noExecutionOfFlow
    }

    /// Calls `body` with each event that answers the question, in seq order, at most `limit`. Check `problem()`
    /// first: a value that cannot be asked is left out here.
    @discardableResult
    public func answer(from store: EventStore, now: Date = Date(), _ body: (RecordedEvent) throws -> Void) throws
        -> Outcome
    {
        var streams = executions
        if !labels.isEmpty {
            let matching = try store.cachedStates(ExecutionSummaryProjection.self).values
                .filter { ExecutionLabels.matches($0.labels, labels) }.map(\.executionId)
            streams = streams.isEmpty ? matching : streams.filter(matching.contains)
            if streams.isEmpty { return .noExecutionOfFlow }
        }
        if let flow {
            let parts = flow.split(separator: "/").map(String.init)
            guard parts.count == 2 else { return .noExecutionOfFlow }
            let matching = try store.cachedStates(ExecutionSummaryProjection.self).values
                .filter { $0.namespace == parts[0] && $0.flowId == parts[1] }.map(\.executionId)
            streams = streams.isEmpty ? matching : streams.filter(matching.contains)
            if streams.isEmpty { return .noExecutionOfFlow }
        }
        var filter = AuditFilter(
            events: EventFilter(
                types: types, streams: streams, since: since.flatMap { AuditTime.parse($0, now: now) },
                until: until.flatMap { AuditTime.parse($0, now: now) }, limit: limit),
            taskRuns: tasks)
        if let secret {
            if types.isEmpty { filter.events.types = ["TaskRendered", "AttemptStarted"] }
            filter.payload.append(
                PayloadCondition.anyOf([
                    .arrayContains(path: "$.secretsUsed", field: "name", value: secret),
                    .equals(path: "$.projectSecret.name", value: secret),
                    .equals(path: "$.bucketSecret.name", value: secret),
                ]))
        }
        if let requestedBy {
            filter.payload.append(.equals(path: "$.requestedBy", value: requestedBy))
        }
        if let job {
            for event in try events(ofJob: job, filter, store) { try body(event) }
        } else {
            try store.audit(filter, body)
        }
        return .answered
    }

    /// The events of the attempts that ran `job` which `filter` selects, in seq order, at most `limit`.
    private func events(ofJob job: String, _ filter: AuditFilter, _ store: EventStore) throws -> [RecordedEvent] {
        // The attempts that ran the job, then every event of those attempts.
        var attempts: [(stream: String, taskRun: String, attempt: Int)] = []
        let identify = AuditFilter(
            events: EventFilter(
                types: ["AttemptStarted", "JobCreateRequested", "JobCreated"], streams: filter.events.streams),
            payload: [
                PayloadCondition.anyOf([
                    .equals(path: "$.jobId", value: job), .equals(path: "$.name", value: job),
                    .endsWith(path: "$.name", suffix: "/jobs/" + job),
                ])
            ])
        try store.audit(identify) { event in
            struct Key: Decodable {
                var taskRunId: String
                var attempt: Int
            }
            guard let key = try? event.decode(Key.self) else { return }
            if !attempts.contains(where: { $0 == (event.stream, key.taskRunId, key.attempt) }) {
                attempts.append((event.stream, key.taskRunId, key.attempt))
            }
        }
        var found: [RecordedEvent] = []
        for attempt in attempts {
            var one = filter
            one.events.streams = [attempt.stream]
            one.taskRuns =
                filter.taskRuns.isEmpty
                    || filter.taskRuns.contains(where: {
                        attempt.taskRun == $0 || attempt.taskRun.hasPrefix($0 + "[")
                    }) ? [attempt.taskRun] : []
            if one.taskRuns.isEmpty { continue }
            one.payload.append(PayloadCondition.equals(path: "$.attempt", value: String(attempt.attempt)))
            try store.audit(one) { event in
                // The task-run index matches ForEach iterations too: keep this run only.
                struct Run: Decodable { var taskRunId: String? }
                if (try? event.decode(Run.self))?.taskRunId == attempt.taskRun {
                    found.append(event)
                }
            }
        }
        return Array(found.sorted(by: { $0.seq < $1.seq }).prefix(limit ?? Int.max))
    }
}
