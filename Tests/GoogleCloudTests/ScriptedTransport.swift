import Clocks
import Foundation
import Testing

@testable import GoogleCloud

/// A transport that records every request and answers from a script, in order. Downloads write the scripted
/// body to the file, as a real transport streams it.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    enum Answer {
        case response(HTTPResponse)
        case failure(TransportError.Kind)
    }

    private let lock = NSLock()
    private var answers: [Answer]
    private var recorded: [HTTPRequest] = []
    /// Whether it claims to stream file bodies, as `CurlTransport` does.
    var streams = false
    var streamsFileBodies: Bool { streams }
    /// Answers by path prefix, used (without being consumed) when the scripted queue is empty.
    var fallback: (HTTPRequest) -> HTTPResponse? = { _ in nil }

    init(_ answers: [Answer] = []) {
        self.answers = answers
    }

    var requests: [HTTPRequest] { lock.withLock { recorded } }

    func enqueue(_ answer: Answer) {
        lock.withLock { answers.append(answer) }
    }

    private func next(for request: HTTPRequest) throws -> HTTPResponse {
        let answer: Answer? = lock.withLock {
            recorded.append(request)
            return answers.isEmpty ? nil : answers.removeFirst()
        }
        switch answer {
        case .response(let response)?: return response
        case .failure(let kind)?:
            throw TransportError(
                kind: kind, method: request.method, url: request.url.absoluteString, detail: "scripted")
        case nil:
            if let response = fallback(request) { return response }
            Issue.record("unexpected request \(request.method) \(request.url)")
            return HTTPResponse(status: 599)
        }
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try next(for: request)
    }

    func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse {
        var response = try next(for: request)
        if (200..<300).contains(response.status) {
            try response.body.write(to: file)
            response.body = Data()
        }
        return response
    }
}

extension HTTPResponse {
    static func json(_ text: String) -> HTTPResponse {
        json(200, text)
    }

    static func json(_ status: Int, _ text: String, headers: [String: String] = [:]) -> HTTPResponse {
        var all = headers
        all["Content-Type"] = "application/json"
        return HTTPResponse(status: status, headers: all, body: Data(text.utf8))
    }
}

extension HTTPRequest {
    /// The path and query, exactly as sent.
    var target: String {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        return components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    var bodyData: Data {
        switch body {
        case .data(let data): return data
        case .file(let file): return (try? Data(contentsOf: file)) ?? Data()
        case .fileRange(let file, let offset, let length):
            guard let whole = try? Data(contentsOf: file) else { return Data() }
            return whole.subdata(in: Int(offset)..<Int(offset + length))
        case .none: return Data()
        }
    }

    var bodyJSON: Any? {
        try? JSONSerialization.jsonObject(with: bodyData)
    }
}

/// A clock that never waits: each sleep records how long it was asked to wait and moves time forward by it.
final class Waits: Clock, @unchecked Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let lock = NSLock()
    private var waits: [Duration] = []
    private var current = Instant(offset: .zero)

    var now: Instant { lock.withLock { current } }
    var minimumResolution: Duration { .zero }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        lock.withLock {
            waits.append(current.duration(to: deadline))
            if current < deadline { current = deadline }
        }
    }

    /// The waits asked for, in order.
    var recorded: [Duration] { lock.withLock { waits } }

    /// This clock, as the clients take it.
    var clock: AnyClock<Duration> { AnyClock(self) }

    func policy(maxAttempts: Int = 5) -> BackoffPolicy {
        BackoffPolicy(maxAttempts: maxAttempts)
    }
}

let endpoint = URL(string: "http://127.0.0.1:9999")!

func caller(
    _ transport: ScriptedTransport, retry: BackoffPolicy = .none, observer: RetryObserver? = nil,
    clock: AnyClock<Duration> = .continuous
) -> APICaller {
    APICaller(transport: transport, credentials: AnonymousCredentials(), retry: retry, observer: observer, clock: clock)
}
