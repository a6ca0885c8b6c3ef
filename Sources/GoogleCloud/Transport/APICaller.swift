import Clocks
import Foundation

/// Sends one API call: adds the access token, retries what may be retried, and turns error answers into
/// `GoogleAPIError`. Every client goes through it.
public struct APICaller: Sendable {
    public let transport: any HTTPTransport
    public let credentials: any AccessTokenProvider
    public let retry: BackoffPolicy
    public let observer: RetryObserver?
    /// The clock every wait between attempts and every deadline is measured on.
    public let clock: AnyClock<Duration>

    public init(
        transport: any HTTPTransport, credentials: any AccessTokenProvider, retry: BackoffPolicy = BackoffPolicy(),
        observer: RetryObserver? = nil, clock: AnyClock<Duration> = .continuous
    ) {
        self.transport = transport
        self.credentials = credentials
        self.retry = retry
        self.observer = observer
        self.clock = clock
    }

    /// Sends `request`, returning a 2xx answer or one whose status is in `accept`.
    ///
    /// - Parameter idempotent: whether repeating the call is safe (reads, and writes that carry an idempotency
    ///   key or a generation precondition). Other calls are sent once.
    public func send(
        _ request: HTTPRequest, service: String, method: String, resource: String, idempotent: Bool,
        accept: Set<Int> = []
    ) async throws -> HTTPResponse {
        try await perform(
            request, service: service, method: method, resource: resource, idempotent: idempotent,
            accept: accept
        ) { request in
            try await transport.send(request)
        }
    }

    /// Like `send`, streaming a 2xx body into `file`, and showing it to `observer` on the way.
    public func download(
        _ request: HTTPRequest, to file: URL, observer: (any TransferObserver)? = nil, service: String,
        method: String, resource: String, accept: Set<Int> = []
    ) async throws -> HTTPResponse {
        try await perform(
            request, service: service, method: method, resource: resource, idempotent: true,
            accept: accept
        ) { request in
            if let observer {
                try await transport.download(request, to: file, observer: observer)
            } else {
                try await transport.download(request, to: file)
            }
        }
    }

    private func perform(
        _ original: HTTPRequest, service: String, method: String, resource: String, idempotent: Bool,
        accept: Set<Int>, _ exchange: (HTTPRequest) async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        let started = clock.now
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        var refreshedAfter401 = false
        let call = "\(service) \(method) \(resource)"
        while true {
            attempt += 1
            try Task.checkCancellation()
            var request = original
            if let token = try await credentials.accessToken() {
                request.headers["Authorization"] = "Bearer \(token)"
            }
            let outcome: Result<HTTPResponse, TransportError>
            do {
                outcome = .success(try await exchange(request))
            } catch let error as TransportError {
                outcome = .failure(error)
            }
            let retryable: Bool
            let status: Int?
            let reason: String
            var retryAfter: Duration?
            switch outcome {
            case .success(let response):
                if (200..<300).contains(response.status) || accept.contains(response.status) {
                    return response
                }
                if response.status == 401 && !refreshedAfter401 && !(credentials is AnonymousCredentials) {
                    // The token may have been revoked or expired early: fetch a new one, once.
                    refreshedAfter401 = true
                    await credentials.invalidate()
                    attempt -= 1
                    continue
                }
                let error = GoogleAPIError.parse(response, service: service, method: method, resource: resource)
                guard retry.retryableStatuses.contains(response.status) && idempotent else { throw error }
                retryable = true
                status = response.status
                reason = "\(response.status) \(error.status)"
                retryAfter = BackoffPolicy.retryAfter(response.header("Retry-After"))
                if attempt >= retry.maxAttempts || started.duration(to: clock.now) >= retry.deadline { throw error }
            case .failure(let error):
                retryable = error.isRetryable && idempotent
                status = nil
                reason = error.description
                if !retryable || attempt >= retry.maxAttempts || started.duration(to: clock.now) >= retry.deadline {
                    throw error
                }
            }
            guard retryable else { continue }
            var delay = retry.delay(beforeRetry: attempt - 1, retryAfter: retryAfter, using: &generator)
            let remaining = retry.deadline - (started.duration(to: clock.now))
            if delay > remaining { delay = max(.zero, remaining) }
            // The retry is reported (and recorded) before the wait, so a caller never loses it.
            try await observer?(RetryEvent(call: call, failedAttempt: attempt, status: status, reason: reason, delay: delay))
            try await clock.sleep(for: delay)
        }
    }

    /// Decodes a JSON answer, naming the call when it does not parse.
    public static func decode<T: Decodable>(
        _ type: T.Type, from response: HTTPResponse, service: String, method: String, resource: String
    ) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: response.body)
        } catch {
            throw GoogleAPIError(
                service: service, method: method, resource: resource, httpStatus: response.status,
                status: "MALFORMED_RESPONSE", message: "the answer could not be read as \(T.self): \(error)")
        }
    }
}
