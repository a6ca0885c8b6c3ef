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

    /// `pageSize`: absent or 0 for 50, else 1-1000; a 400 naming the field otherwise.
    static func pageSize(_ value: JSONValue?) throws(APIError) -> Int {
        guard let value, value != .null else { return 50 }
        guard let number = value.int64Value, (0...1000).contains(number) else {
            throw APIError.invalidArgument(
                "Invalid value at 'page_size' (\(APIError.excerpt(value.stringValue ?? "a non-numeric value"))): "
                    + "must be a whole number between 1 and 1000")
        }
        return number == 0 ? 50 : Int(number)
    }

    /// `pageToken`: absent, empty, or the `nextPageToken` of an earlier answer (a non-negative offset).
    static func pageToken(_ value: JSONValue?) throws(APIError) -> String? {
        guard let value, value != .null else { return nil }
        guard let text = value.stringValue, text.isEmpty || (Int(text).map { $0 >= 0 } ?? false) else {
            throw APIError.invalidArgument(
                "Invalid value at 'page_token' (\(APIError.excerpt(value.stringValue ?? "a non-string value"))): "
                    + "pass the nextPageToken of a previous answer")
        }
        return text.isEmpty ? nil : text
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
        try FilterGuard.check(filterText)
        let filter: FilterExpression?
        do {
            filter = try FilterExpression.parse(filterText)
        } catch {
            throw APIError.invalidArgument("Invalid filter '\(APIError.excerpt(filterText))': \(error.description)")
        }
        let order = (body["orderBy"]?.stringValue ?? "timestamp asc").lowercased().trimmingCharacters(in: .whitespaces)
        guard ["timestamp asc", "timestamp desc", "timestamp"].contains(order) else {
            throw APIError.invalidArgument(
                "Invalid orderBy '\(APIError.excerpt(order))': use \"timestamp asc\" or \"timestamp desc\"")
        }
        let pageSize = try Self.pageSize(body["pageSize"])
        let token = try Self.pageToken(body["pageToken"])
        let page = await store.list(
            resourceNames: resourceNames, filter: filter, descending: order == "timestamp desc", pageSize: pageSize,
            pageToken: token)
        var result: [String: JSONValue] = [:]
        if !page.entries.isEmpty { result["entries"] = .array(page.entries.map { $0.json() }) }
        if let next = page.nextPageToken { result["nextPageToken"] = .string(next) }
        return Reply.json(.object(result))
    }
}
