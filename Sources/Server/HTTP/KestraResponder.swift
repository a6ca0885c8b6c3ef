import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore

/// The server's one responder: checks who asks (a bearer token from the token file, when there is one), then
/// answers Kestra's API under `/api/v1/main/`, with Kestra's error shape for every refusal.
public struct KestraResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let history: HistoryAPI
    let tokens: APITokens?

    public init(history: HistoryAPI, tokens: APITokens?) {
        self.history = history
        self.tokens = tokens
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        guard let parsed = APIRequest(method: request.method.rawValue, path: path, query: request.uri.query) else {
            return Self.error(.badRequest("the path or query is not valid percent-encoding"), path: path)
        }
        if let tokens, tokens.caller(request.headers[.authorization]) == nil {
            return Self.error(.unauthorized, path: path)
        }
        let segments = parsed.segments
        guard segments.count >= 3, segments[0] == "api", segments[1] == "v1" else {
            return Self.error(.notFound("no such API path: the API is under /api/v1/main/"), path: path)
        }
        guard segments[2] == "main" else {
            return Self.error(
                .notFound("tenant \(MessageQuote.quoted(segments[2])) does not exist: the only tenant is main"),
                path: path)
        }
        do {
            if let body = try history.answer(parsed, route: segments[3...]) {
                return Self.json(body, status: .ok)
            }
            return Self.error(.notFound("no such API path: \(parsed.method) \(path)"), path: path)
        } catch let error as APIError {
            return Self.error(error, path: path)
        } catch let error as LedgerError {
            return Self.error(APIError(status: 503, "the ledger could not be read: \(error)"), path: path)
        } catch {
            return Self.error(APIError(status: 500, "the request failed: \(error)"), path: path)
        }
    }

    static func json(_ data: Data, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ error: APIError, path: String) -> Response {
        var response = json(error.body(path: path), status: HTTPResponse.Status(code: error.status))
        if error.status == 401 { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}
