import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One API call as a group of routes sees it: the parsed request, the path's segments after `/api/v1/main`, the
/// headers, the body (already collected, never more than the server's limit) and who asked.
public struct APICall: Sendable {
    public var request: APIRequest
    /// The segments after `/api/v1/main`: `["executions", "search"]`.
    public var route: [String]
    public var headers: HTTPFields
    public var body: ByteBuffer
    /// The name of the caller's token; nil when the server has no token file (loopback only).
    public var caller: String?

    public init(request: APIRequest, route: [String], headers: HTTPFields, body: ByteBuffer, caller: String?) {
        self.request = request
        self.route = route
        self.headers = headers
        self.body = body
        self.caller = caller
    }

    public var method: String { request.method }

    /// Who asked, as the ledger records it: the token's name, or `anonymous` on a server without a token file.
    public var requester: String { caller ?? "anonymous" }

    /// The body as text; `badRequest` when it is not UTF-8.
    public func bodyText() throws -> String {
        guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
            throw APIError.badRequest("the request body is not UTF-8 text")
        }
        return text
    }
}

/// A group of the API's routes (executions, flows, logs, …): answers the calls it knows and nil for the others,
/// so the server asks the next group.
public protocol APIRoutes: Sendable {
    func respond(to call: APICall) async throws -> Response?

    /// The operations the group answers, each as `openapi/batchledger.json` lists it (a test checks that every
    /// group of the server lists some, and that the document and the groups name the same operations).
    static var operations: [APIOperation] { get }
}

extension APIRoutes {
    /// None listed: the document test names the group until it lists its operations.
    public static var operations: [APIOperation] { [] }
}

extension Response {
    /// A JSON answer.
    public static func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `value` encoded with Kestra's encoder.
    public static func kestra(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        json(try Kestra.encoder().encode(value), status: status)
    }
}
