import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore

/// BatchLedger's own routes over the ledger (not Kestra's), each answering what a command line answers:
///
/// - `GET executions/{id}/events?after=SEQ&size=N`: one page of the execution's events, in stream order, after
///   global seq `SEQ` (default 0), at most `N` (1 to 1000, default 100): `{"results": [EVENT…], "total": T}`,
///   where each `EVENT` is the object `batchledger events --json` prints and `T` counts every event of the
///   execution after `SEQ`, not only this page's. The next page starts after the last result's `seq`.
/// - `GET audit?type=…&execution=…&flow=NS/ID&task=…&job=…&secret=…&since=…&until=…&requestedBy=NAME&limit=N`: the
///   events `batchledger audit` finds for the same filters (`type`, `execution` and `task` may repeat), as a JSON
///   array of the same objects; at most `limit` (1 to 10000, default 1000).
/// - `GET executions/{id}/export?format=ndjson|csv|html` and `GET export?format=ndjson|csv`: the bytes
///   `batchledger export` writes (`LedgerAPI+Export`).
/// - `GET verify?anchor=SEQ:HASH`: the object `batchledger verify --json` prints; with `anchor` (a chain link as
///   verify prints the head), whether the ledger still passes through it.
///
/// A value that is not one is refused with 400 and a message that says what to send.
public struct LedgerAPI: APIRoutes {
    public let store: EventStore

    public static let operations = [
        APIOperation("GET", "/executions/{executionId}/events"), APIOperation("GET", "/audit"),
        APIOperation("GET", "/executions/{executionId}/export"), APIOperation("GET", "/export"),
        APIOperation("GET", "/verify"),
    ]

    /// The largest page of `events`.
    public static let maximumEventsPage = 1000
    /// The most events `audit` answers at once, and how many when no limit is given.
    public static let maximumAuditEvents = 10_000
    public static let defaultAuditEvents = 1000

    public init(store: EventStore) {
        self.store = store
    }

    public func respond(to call: APICall) async throws -> Response? {
        guard call.method == "GET" else { return nil }
        let request = call.request
        switch call.route {
        case ["audit"]:
            return try await audit(request)
        case ["export"]:
            return try exportLedger(request)
        case ["verify"]:
            return try await verify(request)
        case let path where path.count == 3 && path[0] == "executions" && path[2] == "events":
            return try events(path[1], request)
        case let path where path.count == 3 && path[0] == "executions" && path[2] == "export":
            return try await exportExecution(path[1], request)
        default:
            return nil
        }
    }

    /// Refuses an execution id that cannot be one, or that has no event.
    func requireExecution(_ id: String) throws {
        guard ExecutionID.isValid(id), try store.currentVersion(of: id) > 0 else {
            throw APIError.notFound("no execution \(MessageQuote.quoted(id))")
        }
    }

    /// Refuses a parameter the route does not take (a misspelt filter would otherwise be ignored).
    static func refuseUnknown(_ request: APIRequest, accepted: Set<String>) throws {
        if let unknown = request.query.keys.sorted().first(where: { !accepted.contains($0) }) {
            throw APIError.badRequest(
                "unknown parameter \(MessageQuote.quoted(unknown)): this route takes "
                    + accepted.sorted().joined(separator: ", "))
        }
    }

    /// `text` as a whole number in `range` (`default` when absent).
    static func number(_ text: String?, name: String, default value: Int64, range: ClosedRange<Int64>) throws -> Int64 {
        guard let text else { return value }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int64(text),
            range.contains(number)
        else {
            throw APIError.badRequest(
                "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), "
                    + "not \(MessageQuote.quoted(text))")
        }
        return number
    }

    // MARK: events

    /// One page of an execution's events.
    func events(_ id: String, _ request: APIRequest) throws -> Response {
        try Self.refuseUnknown(request, accepted: ["after", "size"])
        let after = try Self.number(request["after"], name: "after", default: 0, range: 0...Int64.max)
        let size = try Self.number(
            request["size"], name: "size", default: 100, range: 1...Int64(Self.maximumEventsPage))
        try requireExecution(id)
        var page: [RecordedEvent] = []
        try store.audit(
            AuditFilter(events: EventFilter(streams: [id], afterSeq: after, limit: Int(size)))
        ) { page.append($0) }
        // Versions follow seqs within a stream: every event after `after` has a version from the first one's on.
        let head = try store.currentVersion(of: id)
        let total = page.first.map { max(Int64(page.count), head - $0.version + 1) } ?? 0
        var body = Array("{\"results\":".utf8) + EventJSON.array(page)
        body += Array(",\"total\":\(total)}".utf8)
        return .json(Data(body))
    }

    // MARK: audit

    /// The events that answer an audit question.
    func audit(_ request: APIRequest) async throws -> Response {
        try Self.refuseUnknown(
            request,
            accepted: ["type", "execution", "flow", "task", "job", "secret", "since", "until", "requestedBy", "limit"])
        var question = AuditQuestion()
        question.types = request.query["type"] ?? []
        question.executions = request.query["execution"] ?? []
        question.tasks = request.query["task"] ?? []
        for name in ["flow", "job", "secret", "since", "until", "requestedBy"]
        where (request.query[name]?.count ?? 0) > 1 {
            throw APIError.badRequest("\(name) may be given once")
        }
        question.flow = request["flow"]
        question.job = request["job"]
        question.secret = request["secret"]
        question.since = request["since"]
        question.until = request["until"]
        question.requestedBy = request["requestedBy"]
        question.limit = Int(
            try Self.number(
                request["limit"], name: "limit", default: Int64(Self.defaultAuditEvents),
                range: 1...Int64(Self.maximumAuditEvents)))
        if let problem = question.problem() {
            throw APIError.badRequest(problem.message(naming: problem.field.rawValue))
        }
        let (store, asked) = (store, question)
        let events = try await BlockingWork.run {
            var events: [RecordedEvent] = []
            try asked.answer(from: store) { events.append($0) }
            return events
        }
        return .json(Data(EventJSON.array(events)))
    }

    // MARK: verify

    /// The ledger's verification, against an anchor when one is given.
    func verify(_ request: APIRequest) async throws -> Response {
        try Self.refuseUnknown(request, accepted: ["anchor"])
        var anchor: ChainLink?
        if let text = request["anchor"] {
            guard let link = ChainLink(text) else {
                throw APIError.badRequest(
                    "anchor must be a chain link SEQ:HASH as verify prints the head: a seq from 1 and 64 hex digits, "
                        + "e.g. 42:\(String(repeating: "0", count: 64)), not \(MessageQuote.quoted(text))")
            }
            anchor = link
        }
        let (store, link) = (store, anchor)
        let body = try await BlockingWork.run {
            try LedgerVerification(store, expectingHead: link).json(ledger: nil)
        }
        return .json(body)
    }
}
