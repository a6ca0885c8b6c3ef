import Foundation
import Hummingbird

/// `POST /v2/entries:list`.
struct LoggingRoutes: Sendable {
    let store: LogStore

    static func methodName(_ request: IncomingRequest) -> String? {
        let s = request.segments
        guard s.first == "v2" else { return nil }
        return s.count == 2 && s[1] == "entries:list" ? "entries.list" : "logging.unknown"
    }

    func handle(_ request: IncomingRequest) async throws(APIError) -> Response {
        guard request.segments == ["v2", "entries:list"], request.method == "POST" else {
            throw APIError.notFound(
                "LocalCloud Logging serves only POST /v2/entries:list, not \(request.method) \(request.rawPath)")
        }
        let body = try request.jsonBody()
        let resourceNames =
            (body["resourceNames"]?.arrayValue ?? []).compactMap { $0.stringValue }
            + (body["projectIds"]?.arrayValue ?? []).compactMap { $0.stringValue.map { "projects/\($0)" } }
        guard !resourceNames.isEmpty else {
            throw APIError.invalidArgument("Field 'resource_names' is required: e.g. [\"projects/my-project\"]")
        }
        let filterText = body["filter"]?.stringValue ?? ""
        guard filterText.count <= 20_000 else {
            throw APIError.invalidArgument("Field 'filter' is longer than 20000 characters")
        }
        let filter: FilterExpression?
        do {
            filter = try FilterExpression.parse(filterText)
        } catch {
            throw APIError.invalidArgument("Invalid filter '\(filterText)': \(error.description)")
        }
        let order = (body["orderBy"]?.stringValue ?? "timestamp asc").lowercased().trimmingCharacters(in: .whitespaces)
        guard ["timestamp asc", "timestamp desc", "timestamp"].contains(order) else {
            throw APIError.invalidArgument("Invalid orderBy '\(order)': use \"timestamp asc\" or \"timestamp desc\"")
        }
        let pageSize = Int(body["pageSize"]?.int64Value ?? 50)
        guard (1...1000).contains(pageSize) || body["pageSize"] == nil else {
            throw APIError.invalidArgument("Field 'page_size' must be between 1 and 1000, got \(pageSize)")
        }
        let token = body["pageToken"]?.stringValue
        if let token, !token.isEmpty, Int(token) == nil {
            throw APIError.invalidArgument("Invalid page_token '\(token)': pass the nextPageToken of a previous answer")
        }
        let page = await store.list(
            resourceNames: resourceNames, filter: filter, descending: order == "timestamp desc", pageSize: pageSize,
            pageToken: token)
        var result: [String: JSONValue] = [:]
        if !page.entries.isEmpty { result["entries"] = .array(page.entries.map { $0.json() }) }
        if let next = page.nextPageToken { result["nextPageToken"] = .string(next) }
        return Reply.json(.object(result))
    }
}
