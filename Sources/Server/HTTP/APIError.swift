import Foundation

/// A refusal of the API, answered with Kestra's error shape: `{"message": …, "_links": {"self": {"href": …}}}`
/// and the status code.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { APIError(status: 400, message) }
    public static func notFound(_ message: String) -> APIError { APIError(status: 404, message) }
    public static let unauthorized = APIError(
        status: 401, "a bearer token is required: send Authorization: Bearer TOKEN with a token from the token file")

    /// The JSON body for a request to `path`.
    public func body(path: String) -> Data {
        let document: [String: Any] = [
            "message": message,
            "_links": ["self": ["href": path, "templated": false]],
        ]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
    }
}
