import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore

/// The server's one responder: checks who asks (a bearer token from the token file, when there is one), then
/// asks each group of routes in turn for Kestra's API under `/api/v1/main/`, with Kestra's error shape for every
/// refusal. Paths outside `/api/` go to `pages` (the web UI) when there is one. The API's OpenAPI document
/// (`GET /api/v1/openapi.json`) needs no token.
public struct KestraResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let routes: [any APIRoutes]
    let tokens: APITokens?
    /// The web UI, for paths outside `/api/`; it checks its own sign-in.
    let pages: (any PageRoutes)?
    /// The largest request body accepted (larger: 413).
    let maximumBodySize: Int

    public static let defaultMaximumBodySize = 16 << 20

    public init(
        routes: [any APIRoutes], tokens: APITokens?, pages: (any PageRoutes)? = nil,
        maximumBodySize: Int = Self.defaultMaximumBodySize
    ) {
        self.routes = routes
        self.tokens = tokens
        self.pages = pages
        self.maximumBodySize = maximumBodySize
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        guard let parsed = APIRequest(method: request.method.rawValue, path: path, query: request.uri.query) else {
            return Self.error(.badRequest("the path or query is not valid percent-encoding"), path: path)
        }
        let segments = parsed.segments
        if segments.first != "api", let pages {
            return try await pages.respond(to: request, parsed: parsed, context: context)
        }
        if request.method == .get, OpenAPIDocument.isRequested(segments) {
            return OpenAPIDocument.response()
        }
        var caller = tokens?.caller(request.headers[.authorization])
        if caller == nil, let pages {
            // The web UI's session cookie stands in for a bearer token; the UI refuses writes without its CSRF token.
            switch await pages.apiAccess(for: request) {
            case .unknown: break
            case .caller(let name): caller = name
            case .refused(let error): return Self.error(error, path: path)
            }
        }
        if tokens != nil, caller == nil {
            return Self.error(.unauthorized, path: path)
        }
        guard segments.count >= 3, segments[0] == "api", segments[1] == "v1" else {
            return Self.error(.notFound("no such API path: the API is under /api/v1/main/"), path: path)
        }
        guard segments[2] == "main" else {
            return Self.error(
                .notFound("tenant \(MessageQuote.quoted(segments[2])) does not exist: the only tenant is main"),
                path: path)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBodySize)
        } catch {
            return Self.error(
                APIError(status: 413, "the request body is larger than \(maximumBodySize) bytes"), path: path)
        }
        let call = APICall(
            request: parsed, route: Array(segments[3...]), headers: request.headers, body: body, caller: caller)
        do {
            for group in routes {
                if let response = try await group.respond(to: call) { return response }
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

    static func error(_ error: APIError, path: String) -> Response {
        var response = Response.json(error.body(path: path), status: HTTPResponse.Status(code: error.status))
        if error.status == 401 { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }
}

/// The pages served outside `/api/` (the web UI).
public protocol PageRoutes: Sendable {
    func respond(to request: Request, parsed: APIRequest, context: BasicRequestContext) async throws -> Response
    /// Who asks an API request that has no valid bearer token, as the UI's sign-in knows it.
    func apiAccess(for request: Request) async -> PageAccess
}
