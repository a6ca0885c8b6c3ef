import Engine
import Foundation
import Ledger

/// The filters and the page of the execution list (`/ui/?state=FAILED&flow=NS/ID&label=KEY:VALUE&from=…&to=…
/// &page=2`), checked, and turned into the query of Kestra's search API (`apiQuery`): the server renders the first
/// page with it and the list's script polls it.
struct ExecutionListQuery {
    /// Kestra state names; empty for all.
    var states: [String] = []
    /// `namespace/flowId`.
    var flow: (namespace: String, id: String)?
    /// `key:value`.
    var label: (key: String, value: String)?
    /// UTC, as the form gives it (`2025-01-01T00:00`) or any RFC 3339 time.
    var from: String?
    var to: String?
    var page = 1
    var size = ExecutionListQuery.defaultSize

    static let defaultSize = 50
    static let sizes = 10...200

    init() {}

    /// Reads the list's query; throws `APIError.badRequest` naming the first value it cannot use.
    init(_ request: APIRequest) throws {
        let known = Set(Kestra.StateType.allCases.map(\.rawValue))
        for state in (request.query["state"] ?? []).flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard known.contains(state) else {
                throw APIError.badRequest("unknown state \(MessageQuote.quoted(state)): use Kestra's names")
            }
            if !states.contains(state) { states.append(state) }
        }
        if let flow = request["flow"], !flow.isEmpty {
            guard let slash = flow.lastIndex(of: "/"), slash != flow.startIndex,
                slash != flow.index(before: flow.endIndex)
            else {
                throw APIError.badRequest("flow must be NAMESPACE/FLOW_ID, not \(MessageQuote.quoted(flow))")
            }
            self.flow = (String(flow[..<slash]), String(flow[flow.index(after: slash)...]))
        }
        if let label = request["label"]?.trimmingCharacters(in: .whitespaces), !label.isEmpty {
            guard let colon = label.firstIndex(of: ":"), colon != label.startIndex else {
                throw APIError.badRequest("label must be KEY:VALUE, not \(MessageQuote.quoted(label))")
            }
            self.label = (String(label[..<colon]), String(label[label.index(after: colon)...]))
        }
        for (name, value) in [("from", request["from"]), ("to", request["to"])] {
            guard let value, !value.isEmpty else { continue }
            guard Self.instant(value) != nil else {
                throw APIError.badRequest("\(name) needs a date and time (UTC), not \(MessageQuote.quoted(value))")
            }
            if name == "from" { from = value } else { to = value }
        }
        page = try HistoryAPI.number(request["page"], name: "page", default: 1, range: 1...1_000_000)
        size = try HistoryAPI.number(request["size"], name: "size", default: Self.defaultSize, range: Self.sizes)
    }

    /// `text` as an RFC 3339 instant: the form's `YYYY-MM-DDTHH:MM` (or with seconds) is UTC.
    static func instant(_ text: String) -> String? {
        if Timestamp.parse(text) != nil { return text }
        let seconds = text.count == 16 ? text + ":00Z" : text + "Z"
        return Timestamp.parse(seconds) != nil ? seconds : nil
    }

    /// The query of `GET /api/v1/main/executions/search` for this page.
    var apiQuery: String {
        var parts = ["page=\(page)", "size=\(size)"]
        func add(_ key: String, _ value: String) { parts.append(UIFormat.query(key) + "=" + UIFormat.query(value)) }
        if !states.isEmpty { add("filters[state][IN]", states.joined(separator: ",")) }
        if let flow {
            add("filters[namespace][EQUALS]", flow.namespace)
            add("filters[flowId][EQUALS]", flow.id)
        }
        if let from = from.flatMap(Self.instant) { add("filters[startDate][GREATER_THAN_OR_EQUAL_TO]", from) }
        if let to = to.flatMap(Self.instant) { add("filters[startDate][LESS_THAN_OR_EQUAL_TO]", to) }
        if let label { add("filters[labels][EQUALS][\(label.key)]", label.value) }
        return parts.joined(separator: "&")
    }

    /// The list's own query for page `page` (nil: this one), for the pager's links.
    func listQuery(page: Int? = nil) -> String {
        var parts: [String] = []
        func add(_ key: String, _ value: String) { parts.append(key + "=" + UIFormat.query(value)) }
        for state in states { add("state", state) }
        if let flow { add("flow", flow.namespace + "/" + flow.id) }
        if let label { add("label", label.key + ":" + label.value) }
        if let from { add("from", from) }
        if let to { add("to", to) }
        if size != Self.defaultSize { add("size", String(size)) }
        add("page", String(page ?? self.page))
        return parts.joined(separator: "&")
    }

    /// The matching executions on this page, newest first, and how many match in all.
    func results(_ history: HistoryAPI) throws -> Kestra.PagedResults<Kestra.Execution> {
        guard let request = APIRequest(method: "GET", path: "/api/v1/main/executions/search", query: apiQuery) else {
            throw APIError.badRequest("the filters could not be encoded")
        }
        return try history.search(request)
    }
}
