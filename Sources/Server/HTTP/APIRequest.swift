import Foundation

/// One request to the API as the routes read it: the method, the path's segments each percent-decoded on its own
/// (Kestra's clients encode a `/` inside a segment as `%2F`), and the query's values by name, in order (a name
/// may repeat: `sort=a&sort=b`).
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    public var segments: [String]
    public var query: [String: [String]]

    /// Nil when a segment or a query component is not valid percent-encoding.
    public init?(method: String, path: String, query: String?) {
        self.method = method
        self.path = path
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = String(raw).removingPercentEncoding else { return nil }
            segments.append(decoded)
        }
        self.segments = segments
        var values: [String: [String]] = [:]
        for pair in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]) else { return nil }
            let value = parts.count > 1 ? decode(parts[1]) : ""
            guard let value else { return nil }
            values[name, default: []].append(value)
        }
        self.query = values
    }

    /// The first value of `name`.
    public subscript(_ name: String) -> String? { query[name]?.first }
}
