import Engine
import Foundation
import Hummingbird
import Ledger
import Primitives

/// The read-only part of Kestra's REST API over a ledger, tenant `main`: an execution by id, the search over
/// executions (namespace, flow, state, time range, 1-based paging), and an execution's logs (a bare array,
/// filtered by task, task run, attempt and minimum level), each in Kestra's JSON shapes. `executions/{id}?at=SEQ`
/// (not Kestra's) answers the execution as it was right after the ledger's event `SEQ`.
public struct HistoryAPI: APIRoutes {
    public let store: EventStore
    /// The time a state that has not ended ends at, in Kestra's `getEndDate`.
    public let now: @Sendable () -> Timestamp

    public static let operations = [
        APIOperation("GET", "/executions/search"), APIOperation("GET", "/executions/{executionId}"),
        APIOperation("GET", "/logs/{executionId}"),
    ]

    /// The largest page a search answers.
    public static let maximumPageSize = 500

    /// The records read lately, each folded up to the version it was read at.
    let records = RecordCache()
    /// Every execution's summary, folded in memory as events arrive: what a search filters and pages.
    let summaries = LiveProjection(ExecutionSummaryProjection.self)

    public init(store: EventStore, now: @escaping @Sendable () -> Timestamp = { Timestamp(Date()) }) {
        self.store = store
        self.now = now
    }

    public func respond(to call: APICall) async throws -> Response? {
        guard call.method == "GET" else { return nil }
        let request = call.request
        let answer: @Sendable () throws -> Data
        switch call.route {
        case ["executions", "search"]:
            answer = { try Kestra.encoder().encode(try search(request)) }
        case let path where path.count == 2 && path[0] == "executions":
            answer = { try Kestra.encoder().encode(try execution(path[1], at: try Self.seq(request["at"]))) }
        case let path where path.count == 2 && path[0] == "logs":
            answer = { try Kestra.encoder().encode(try logs(path[1], request)) }
        default:
            return nil
        }
        // SQLite reads block: off the cooperative threads that drive the executions.
        return .json(try await BlockingWork.run(answer))
    }

    /// One execution, or `notFound`. With `seq`, the execution as it was right after the ledger's event `seq`
    /// (only its events up to that seq folded; a state that had not ended then ends at that event's time);
    /// `notFound` when the execution had no event yet.
    public func execution(_ id: String, at seq: Int64? = nil) throws -> Kestra.Execution {
        guard let seq else { return Kestra.Execution(try record(id), now: now()) }
        guard ExecutionID.isValid(id) else { throw APIError.notFound("no execution \(MessageQuote.quoted(id))") }
        var events: [RecordedEvent] = []
        var exists = false
        try store.readStream(id) { event in
            exists = true
            if event.seq <= seq { events.append(event) }
        }
        guard exists else { throw APIError.notFound("no execution \(MessageQuote.quoted(id))") }
        guard let last = events.last else {
            throw APIError.notFound("execution \(MessageQuote.quoted(id)) had no event yet at seq \(seq)")
        }
        return Kestra.Execution(try ExecutionRecord.fold(events), now: Timestamp(last.recordedAt) ?? now())
    }

    /// The `at` parameter: a global seq, a whole number from 1.
    static func seq(_ text: String?) throws -> Int64? {
        guard let text else { return nil }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seq = Int64(text), seq >= 1 else {
            throw APIError.badRequest(
                "at must be the seq of an event, a whole number from 1, not \(MessageQuote.quoted(text))")
        }
        return seq
    }

    /// The stored log lines of one execution.
    public func logs(_ id: String, _ request: APIRequest) throws -> [Kestra.LogEntry] {
        let filter = try Self.logFilter(request)
        return Kestra.LogEntry.entries(of: try record(id), filter: filter)
    }

    /// The filter of `logs/{id}` (and `logs/{id}/follow`): `taskId`, `taskRunId`, `attempt` (Kestra's index, from
    /// 0) and `minLevel`; `badRequest` for a value that is not one.
    static func logFilter(_ request: APIRequest) throws -> Kestra.LogFilter {
        var filter = Kestra.LogFilter(taskId: request["taskId"], taskRunId: request["taskRunId"])
        if let attempt = request["attempt"] {
            guard let number = Int(attempt), number >= 0 else {
                throw APIError.badRequest("attempt must be a whole number from 0, not \(MessageQuote.quoted(attempt))")
            }
            filter.attempt = number
        }
        if let level = request["minLevel"] {
            guard let parsed = Kestra.Level(name: level) else {
                throw APIError.badRequest(
                    "minLevel must be one of ERROR, WARN, INFO, DEBUG, TRACE, not \(MessageQuote.quoted(level))")
            }
            filter.minLevel = parsed
        }
        return filter
    }

    /// A page of executions, newest first, with the number of all that match.
    public func search(_ request: APIRequest) throws -> Kestra.PagedResults<Kestra.Execution> {
        let page = try Self.number(request["page"], name: "page", default: 1, range: 1...1_000_000)
        let size = try Self.number(request["size"], name: "size", default: 25, range: 1...Self.maximumPageSize)
        let conditions = try SearchConditions(request)
        // Sorted as (start, id) pairs: moving whole summaries about in a sort of thousands costs more than the
        // rest of the search.
        let matching = try summaries.states(in: store).values
            .compactMap { conditions.admits($0) ? ($0.startedAt ?? "", $0.executionId) : nil }
            .sorted(by: >)
        let first = (page - 1) * size
        let onPage = first < matching.count ? matching[first..<min(first + size, matching.count)] : []
        let instant = now()
        let results = try onPage.map { Kestra.Execution(try record($0.1), now: instant) }
        return Kestra.PagedResults(results: results, total: matching.count)
    }

    private func record(_ id: String) throws -> ExecutionRecord {
        guard ExecutionID.isValid(id), let record = try records.record(id, in: store) else {
            throw APIError.notFound("no execution \(MessageQuote.quoted(id))")
        }
        return record
    }

    static func number(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest(
                "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(MessageQuote.quoted(text))"
            )
        }
        return number
    }
}

/// The `filters[FIELD][OP]=VALUE` conditions of an execution search that this server understands: namespace
/// (EQUALS, PREFIX/STARTS_WITH), flowId (EQUALS), state (EQUALS, IN, NOT_EQUALS, NOT_IN; Kestra's names), and
/// startDate (GREATER_THAN(_OR_EQUAL_TO), LESS_THAN(_OR_EQUAL_TO)); also the older `namespace`, `flowId` and
/// `state` parameters. Any other filter is refused, never ignored.
struct SearchConditions {
    var namespace: (value: String, prefix: Bool)?
    var flowId: String?
    var states: (names: Set<String>, included: Bool)?
    var startedAfter: Date?
    var startedBefore: Date?
    /// Labels an execution must have (`included`) or must not have.
    var labels: [(key: String, value: String, included: Bool)] = []

    init(_ request: APIRequest) throws {
        if let value = request["namespace"] { namespace = (value, true) }
        if let value = request["flowId"] { flowId = value }
        if let value = request["state"] { states = (Set(request.query["state"] ?? [value]), true) }
        for label in request.query["labels"] ?? [] {
            guard let colon = label.firstIndex(of: ":") else {
                throw APIError.badRequest("label \(MessageQuote.quoted(label)) is not key:value")
            }
            labels.append((String(label[..<colon]), String(label[label.index(after: colon)...]), true))
        }
        for (key, values) in request.query where key.hasPrefix("filters[") {
            guard let value = values.first else { continue }
            let parts = key.dropFirst("filters[".count).dropLast().components(separatedBy: "][")
            if parts.count == 3, parts[0] == "labels" {
                // Kestra sends a label condition as filters[labels][EQUALS][KEY]=VALUE.
                switch parts[1] {
                case "EQUALS": labels.append((parts[2], value, true))
                case "NOT_EQUALS": labels.append((parts[2], value, false))
                default:
                    throw APIError.badRequest(
                        "filter \(MessageQuote.quoted(key)) is not supported: labels take EQUALS or NOT_EQUALS")
                }
                continue
            }
            guard parts.count == 2 else {
                throw APIError.badRequest("filter \(MessageQuote.quoted(key)) is not filters[FIELD][OPERATION]")
            }
            switch (parts[0], parts[1]) {
            case ("namespace", "EQUALS"): namespace = (value, false)
            case ("namespace", "PREFIX"), ("namespace", "STARTS_WITH"): namespace = (value, true)
            case ("flowId", "EQUALS"): flowId = value
            case ("state", "EQUALS"), ("state", "IN"):
                states = (Set(value.split(separator: ",").map(String.init)), true)
            case ("state", "NOT_EQUALS"), ("state", "NOT_IN"):
                states = (Set(value.split(separator: ",").map(String.init)), false)
            case ("startDate", "GREATER_THAN"), ("startDate", "GREATER_THAN_OR_EQUAL_TO"):
                startedAfter = try Self.time(value, key)
            case ("startDate", "LESS_THAN"), ("startDate", "LESS_THAN_OR_EQUAL_TO"):
                startedBefore = try Self.time(value, key)
            default:
                throw APIError.badRequest(
                    "filter \(MessageQuote.quoted(key)) is not supported: use namespace, flowId, state, startDate or labels"
                )
            }
        }
        if let states {
            let known = Set(Kestra.StateType.allCases.map(\.rawValue))
            if let unknown = states.names.first(where: { !known.contains($0) }) {
                throw APIError.badRequest("unknown state \(MessageQuote.quoted(unknown)): use Kestra's names")
            }
        }
    }

    private static func time(_ text: String, _ key: String) throws -> Date {
        guard let date = Timestamp.parse(text) else {
            throw APIError.badRequest("\(key) needs an ISO-8601 date-time, not \(MessageQuote.quoted(text))")
        }
        return date
    }

    func admits(_ summary: ExecutionSummaryProjection.State) -> Bool {
        if let namespace {
            if namespace.prefix {
                guard summary.namespace == namespace.value || summary.namespace.hasPrefix(namespace.value + ".")
                else { return false }
            } else if summary.namespace != namespace.value {
                return false
            }
        }
        if let flowId, summary.flowId != flowId { return false }
        for label in labels where (summary.labels?[label.key] == label.value) != label.included { return false }
        if let states, states.names.contains(Kestra.StateType(summary.state).rawValue) != states.included {
            return false
        }
        if startedAfter != nil || startedBefore != nil {
            // Compared as times: RFC 3339 texts with and without a fraction do not sort as text.
            guard let started = summary.startedAt.flatMap(Timestamp.parse) else { return false }
            if let startedAfter, started < startedAfter { return false }
            if let startedBefore, started > startedBefore { return false }
        }
        return true
    }
}
