/// One operation of the API as the OpenAPI document (`openapi/batchledger.json`) names it: a method and a path
/// template under `/api/v1/main`, such as `GET /executions/{executionId}`. Each group of routes lists the
/// operations it answers, so a test can hold the document and the routes to each other.
public struct APIOperation: Hashable, Sendable, CustomStringConvertible {
    /// The HTTP method, upper case.
    public var method: String
    /// The path template after `/api/v1/main`, with OpenAPI's `{name}` parameters.
    public var path: String

    public init(_ method: String, _ path: String) {
        self.method = method
        self.path = path
    }

    /// The prefix of every path of the tenant `main`.
    public static let tenantPrefix = "/api/v1/main"

    /// The path as the OpenAPI document's `paths` key.
    public var documentPath: String { Self.tenantPrefix + path }

    public var description: String { "\(method) \(documentPath)" }
}
