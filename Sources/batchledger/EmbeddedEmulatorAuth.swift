import Foundation
import GoogleCloud

/// The credentials of a `run --local` engine: the embedded emulator's per-run bearer token, which only this
/// process holds (it is never printed, recorded or given to jobs).
struct StaticTokenCredentials: AccessTokenProvider, CustomStringConvertible, CustomDebugStringConvertible {
    let token: String

    func accessToken() async throws -> String? { token }
    func invalidate() async {}
    var identity: String { "the embedded emulator's per-run token" }
    var description: String { "StaticTokenCredentials(token hidden)" }
    var debugDescription: String { description }
}

/// The transport to the embedded emulator: a request to it without an `Authorization` header gets the per-run
/// token. That is the OAuth token exchange of a task runner's `serviceAccount` (made without credentials), which the
/// emulator answers only for the holder of the run's token; requests that carry a token keep theirs.
struct EmbeddedEmulatorTransport: HTTPTransport, CustomStringConvertible, CustomDebugStringConvertible {
    let base: any HTTPTransport
    let endpoint: URL
    let token: String

    var streamsFileBodies: Bool { base.streamsFileBodies }
    var description: String { "EmbeddedEmulatorTransport(\(endpoint.absoluteString), token hidden)" }
    var debugDescription: String { description }

    /// The request with the run's token when it goes to the emulator and carries no credentials.
    func authorized(_ request: HTTPRequest) -> HTTPRequest {
        guard request.header("Authorization") == nil, request.url.scheme == endpoint.scheme,
            request.url.host == endpoint.host, request.url.port == endpoint.port
        else { return request }
        var copy = request
        copy.headers["Authorization"] = "Bearer \(token)"
        return copy
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await base.send(authorized(request))
    }

    func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse {
        try await base.download(authorized(request), to: file)
    }

    func download(_ request: HTTPRequest, to file: URL, observer: any TransferObserver) async throws -> HTTPResponse {
        try await base.download(authorized(request), to: file, observer: observer)
    }
}
