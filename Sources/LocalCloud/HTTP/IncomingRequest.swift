import Foundation
import HTTPTypes

/// A request with its body collected, as the service handlers see it: in memory, or, for object uploads, in a
/// file (`bodyFile`, with `body` empty).
struct IncomingRequest: Sendable {
    var method: String
    /// The path as sent, still percent-encoded (`/storage/v1/b/bkt/o/a%2Fb`).
    var rawPath: String
    var query: Query
    var headers: HTTPFields
    var body: Data
    /// The body written to a file as it arrived (media uploads and resumable chunks), so that no upload is held in
    /// memory; nil when the body is in `body`.
    var bodyFile: SpooledBody? = nil
    /// `http://HOST:PORT` as the client addressed the emulator, for `Location`, `selfLink` and `mediaLink`.
    var baseURL: String

    func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        let values = headers[values: field]
        return values.isEmpty ? nil : values.joined(separator: ",")
    }

    /// The path split on `/`, each segment percent-decoded (so `a%2Fb` is one segment `a/b`).
    var segments: [String] {
        rawPath.split(separator: "/", omittingEmptySubsequences: true).map { Query.decode(String($0)) }
    }

    /// The JSON body, or a 400 that says the body is not JSON.
    func jsonBody(shape: APIError.Shape = .rpc) throws(APIError) -> JSONValue {
        if body.isEmpty { return .object([:]) }
        do {
            return try JSONValue.parse(body)
        } catch {
            throw APIError.invalidArgument("Invalid JSON payload received: the request body is not JSON", shape: shape)
        }
    }
}
