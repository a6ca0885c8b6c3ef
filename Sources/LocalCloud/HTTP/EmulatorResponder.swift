import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The one responder behind all four services: counts the request, applies faults and auth, dispatches.
struct EmulatorResponder: HTTPResponder {
    typealias Context = EmulatorContext

    let batch: BatchRoutes
    let storage: StorageRoutes
    let logging: LoggingRoutes
    let tokens: TokenService
    let iam: IAMCredentialsRoutes
    let stats: EmulatorStats
    let faults: FaultInjector
    /// Bounds; `maxRequestBodyBytes` applies to every body read into memory except object uploads.
    var limits: LocalCloudLimits = .default
    /// Largest multipart object upload collected in memory (the Storage side's; media and resumable uploads are
    /// written to files instead).
    let maxUploadBodySize = 2 << 30

    /// Which service and method a request is for.
    static func methodName(_ request: IncomingRequest) -> String {
        // IAM Credentials paths are under /v1/projects/ too: asked before Batch's, which claims the rest.
        if let name = IAMCredentialsRoutes.methodName(request) ?? BatchRoutes.methodName(request)
            ?? StorageRoutes.methodName(request)
            ?? LoggingRoutes.methodName(request)
        {
            return name
        }
        if request.segments == ["token"] || request.segments == ["oauth2", "v4", "token"] { return "token" }
        return "unknown"
    }

    /// Object uploads (a media upload, a resumable session's chunk) go to a file as they arrive, not to memory.
    static func spoolsBody(method: String, path: String, query: Query) -> Bool {
        guard method == "POST" || method == "PUT", path.hasPrefix("/upload/storage/v1/b/") else { return false }
        return query["upload_id"] != nil || (method == "POST" && (query["uploadType"] ?? "media") == "media")
    }

    func respond(to request: Request, context: EmulatorContext) async throws -> Response {
        let host = request.head.authority ?? "127.0.0.1"
        let query = Query(request.uri.query)
        var incoming = IncomingRequest(
            method: request.method.rawValue, rawPath: request.uri.path, query: query,
            headers: request.headers, body: Data(), baseURL: "http://\(host)")
        // Who calls is checked from the head, before any byte of the body is read, spooled or held: a caller
        // without the token cannot fill the disk or the memory.
        if incoming.segments.first != "_emulator" {
            do {
                if Self.methodName(incoming) == "token" {
                    try await tokens.authorizeExchange(incoming.header("authorization"))
                } else {
                    try await tokens.authorize(incoming.header("authorization"))
                }
            } catch {
                return Reply.error(error)
            }
        }
        if Self.spoolsBody(method: incoming.method, path: incoming.rawPath, query: query) {
            incoming.bodyFile = try await SpooledBody.write(request.body, into: storage.service.uploadsRoot)
        } else if incoming.rawPath.hasPrefix("/upload/") && query["uploadType"] != "resumable" {
            // A multipart upload carries the object itself; a resumable session's start is only JSON metadata and
            // is bounded like every other JSON body below.
            incoming.body = Data(buffer: try await request.body.collect(upTo: maxUploadBodySize))
        } else {
            switch try await BoundedBody.collect(request, limit: limits.maxRequestBodyBytes) {
            case .complete(let data): incoming.body = data
            case .tooLarge: return Reply.error(BoundedBody.tooLargeError(incoming, limit: limits.maxRequestBodyBytes))
            }
        }
        if incoming.segments.first == "_emulator" {
            if incoming.segments == ["_emulator", "stats"] {
                var snapshot = await stats.snapshot()
                snapshot["jobStates"] = .object(await batch.service.stateCounts().mapValues { .int(Int64($0)) })
                snapshot["impersonations"] = .object(await tokens.impersonations.mapValues { .int(Int64($0)) })
                return Reply.json(snapshot)
            }
            if incoming.segments == ["_emulator", "health"] { return Reply.json(.object(["ok": .bool(true)])) }
            return Reply.error(.notFound("Unknown emulator endpoint \(incoming.rawPath)"))
        }
        let method = Self.methodName(incoming)
        await stats.countRequest(method)
        if let authorization = incoming.header("authorization"), authorization.hasPrefix("Bearer "),
            let account = await tokens.account(of: String(authorization.dropFirst(7)))
        {
            // Which identity made the call, for tests that check that a task's calls are made as the account it
            // impersonates.
            await stats.countCall(by: account)
        }
        let decision = await faults.decide(method: method)
        if decision.latency > .zero { try? await Task.sleep(for: decision.latency) }
        if let status = decision.status {
            await stats.countFault()
            let shape: APIError.Shape = method.hasPrefix("objects.") || method.hasPrefix("buckets.") ? .storage : .rpc
            return Reply.error(
                APIError(
                    httpStatus: status, status: APIError.statusName(for: status),
                    message: "LocalCloud injected fault: \(method) answered \(status) (--faults)",
                    reason: status == 429 ? "rateLimitExceeded" : "backendError", shape: shape))
        }
        let response: Response
        do {
            response = try await dispatch(incoming, method: method)
        } catch {
            response = Reply.error(error)
        }
        if decision.drop {
            await stats.countFault()
            try? await context.channel.close()
            throw ChannelError.ioOnClosedChannel
        }
        return response
    }

    private func dispatch(_ request: IncomingRequest, method: String) async throws(APIError) -> Response {
        if method == "token" {
            guard request.method == "POST" else { throw APIError.notFound("The token endpoint takes POST") }
            let form = Query(String(decoding: request.body, as: UTF8.self))
            return Reply.json(try await tokens.exchange(form: form, endpoint: request.baseURL))
        }
        if method == "generateAccessToken" || method == "iamcredentials.unknown" {
            return try await iam.handle(request)
        }
        if method.hasPrefix("jobs.") || method.hasPrefix("tasks.") || method == "operations.get"
            || method == "batch.unknown"
        {
            return try await batch.handle(request)
        }
        if method == "entries.list" || method == "logging.unknown" { return try await logging.handle(request) }
        if StorageRoutes.methodName(request) != nil { return try await storage.handle(request) }
        throw APIError.notFound(
            "LocalCloud serves /v1/projects/... (Batch), /storage/v1, /upload/storage/v1, /download/storage/v1 (Storage), "
                + "/v2/entries:list (Logging), /token (OAuth), "
                + "/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken (IAM Credentials) and /_emulator/stats; not \(request.method) \(request.rawPath)"
        )
    }
}
