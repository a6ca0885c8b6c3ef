import Foundation
import Primitives

/// A condition on an event's JSON payload, for audit queries. Paths are SQLite JSON paths (`$.jobId`).
public indirect enum PayloadCondition: Sendable, Equatable {
    /// The value at `path` equals `value` (compared as text).
    case equals(path: String, value: String)
    /// The text at `path` ends with `suffix`.
    case endsWith(path: String, suffix: String)
    /// The array at `path` holds an object whose `field` equals `value`.
    case arrayContains(path: String, field: String, value: String)
    /// At least one of the conditions holds.
    case anyOf([PayloadCondition])
}

/// An audit query: the envelope filter (types, executions, time, seq) plus conditions on the payload.
public struct AuditFilter: Sendable, Equatable {
    public var events: EventFilter
    /// Task runs: an event matches when its payload's `taskRunId` is one of these, or is a ForEach iteration of
    /// one (`id[…]`). Answered from the `events_by_task_run` index.
    public var taskRuns: [String]
    /// Every condition must hold.
    public var payload: [PayloadCondition]

    public init(events: EventFilter = EventFilter(), taskRuns: [String] = [], payload: [PayloadCondition] = []) {
        self.events = events
        self.taskRuns = taskRuns
        self.payload = payload
    }
}

/// The SQL the audit queries share with the schema's indexes.
enum AuditSQL {
    /// Exactly the expression of index `events_by_task_run` (migration 4), so the planner can use it.
    static let taskRunExpression =
        "CASE WHEN json_valid(CAST(payload AS TEXT)) THEN json_extract(CAST(payload AS TEXT), '$.taskRunId') END"

    /// The payload as JSON text, or NULL when it is not JSON (so a JSON function never fails on it).
    static let jsonPayload = "(CASE WHEN json_valid(CAST(payload AS TEXT)) THEN CAST(payload AS TEXT) END)"

    static func condition(_ condition: PayloadCondition, _ arguments: inout [String]) -> String {
        switch condition {
        case .equals(let path, let value):
            arguments += [path, value]
            return "CAST(json_extract(\(jsonPayload), ?) AS TEXT) = ?"
        case .endsWith(let path, let suffix):
            arguments += [path, suffix, suffix]
            return "substr(json_extract(\(jsonPayload), ?), -length(?)) = ?"
        case .arrayContains(let path, let field, let value):
            arguments += [path, "$." + field, value]
            return "EXISTS (SELECT 1 FROM json_each(\(jsonPayload), ?) AS item "
                + "WHERE json_extract(item.value, ?) = ?)"
        case .anyOf(let conditions):
            guard !conditions.isEmpty else { return "0" }
            return "(" + conditions.map { self.condition($0, &arguments) }.joined(separator: " OR ") + ")"
        }
    }
}

extension EventStore {
    /// The SQL and its arguments for `filter` (the first is the seq when `afterSeq` is set).
    static func auditSQL(_ filter: AuditFilter, columns: String) -> (sql: String, arguments: [String]) {
        // `seq > 0` is left out: on a rowid range the planner would scan the whole table in seq order instead of
        // using the index of a more selective condition.
        var conditions: [String] = []
        var arguments: [String] = []
        if filter.events.afterSeq > 0 {
            conditions.append("seq > ?")
            arguments.append(String(filter.events.afterSeq))
        }
        let events = filter.events
        if !events.types.isEmpty {
            conditions.append("type IN (\(events.types.map { _ in "?" }.joined(separator: ",")))")
            arguments += events.types
        }
        if !events.streams.isEmpty {
            conditions.append("stream IN (\(events.streams.map { _ in "?" }.joined(separator: ",")))")
            arguments += events.streams
        }
        if let since = events.since {
            conditions.append("recorded_at >= ?")
            arguments.append(Timestamp.rfc3339(since))
        }
        if let until = events.until {
            conditions.append("recorded_at < ?")
            arguments.append(Timestamp.rfc3339(until))
        }
        if !filter.taskRuns.isEmpty {
            // `id[` up to (not including) `id\`: every ForEach iteration of the task, as an index range.
            var parts: [String] = []
            for id in filter.taskRuns {
                parts.append("\(AuditSQL.taskRunExpression) = ?")
                arguments.append(id)
                parts.append("(\(AuditSQL.taskRunExpression) >= ? AND \(AuditSQL.taskRunExpression) < ?)")
                arguments += [id + "[", id + "\\"]
            }
            conditions.append("(" + parts.joined(separator: " OR ") + ")")
        }
        for condition in filter.payload {
            conditions.append(AuditSQL.condition(condition, &arguments))
        }
        if conditions.isEmpty { conditions.append("1") }
        var sql = "SELECT \(columns) FROM events WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq"
        if let limit = events.limit { sql += " LIMIT \(max(0, limit))" }
        return (sql, arguments)
    }

    /// Calls `body` with each event `filter` selects, in seq order. Type, execution and time conditions use the
    /// ledger's indexes, and so does a task-run condition; payload conditions are checked on the rows those
    /// leave.
    public func audit(_ filter: AuditFilter, _ body: (RecordedEvent) throws -> Void) throws {
        let (sql, arguments) = Self.auditSQL(filter, columns: Self.columns)
        try withReader { connection in
            let query = try connection.oneShotStatement(sql)
            for (index, argument) in arguments.enumerated() {
                if index == 0 && filter.events.afterSeq > 0 {
                    query.bind(1, filter.events.afterSeq)
                } else {
                    query.bind(Int32(index + 1), argument)
                }
            }
            while try query.step() {
                try body(Self.event(from: query))
            }
        }
    }

    /// SQLite's plan for `filter`, one line per step (`SEARCH events USING INDEX …`), to check that a query
    /// uses the indexes.
    public func auditPlan(_ filter: AuditFilter) throws -> [String] {
        let (sql, _) = Self.auditSQL(filter, columns: "seq")
        return try withReader { connection in
            let query = try connection.oneShotStatement("EXPLAIN QUERY PLAN " + sql)
            var lines: [String] = []
            while try query.step() {
                lines.append(query.text(3))
            }
            return lines
        }
    }
}
