import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// An HTTP request as the clients build it. Header names are kept as given; lookups ignore case.
public struct HTTPRequest: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        case none
        case data(Data)
        /// Sent by streaming from a file, never loaded whole.
        case file(URL)
        /// `length` bytes of a file from `offset`, streamed (a resumable upload's chunk).
        case fileRange(URL, offset: Int64, length: Int64)
    }

    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Body
    /// Per-request timeout (time without progress on the connection).
    public var timeout: Duration

    public init(
        method: String, url: URL, headers: [String: String] = [:], body: Body = .none, timeout: Duration = .seconds(60)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// An HTTP response. When the body was streamed to a file, `body` is empty.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, ignoring case.
    public func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Moves HTTP requests; the seam where tests put recorded responses and where retries are layered.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the whole response body in memory (for API calls, whose bodies are small).
    func send(_ request: HTTPRequest) async throws -> HTTPResponse

    /// Sends `request` and streams a 2xx response body into `file` (replacing it); other bodies stay in memory
    /// for the error message.
    func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse

    /// Whether `.file` and `.fileRange` bodies are streamed from disk (true) or read into memory first.
    var streamsFileBodies: Bool { get }

    /// Like `download(_:to:)`, also showing every byte of a 2xx body to `observer` (to hash it on the way in).
    /// `observer.begin(headers:)` comes before the first byte of each attempt's 2xx body.
    func download(_ request: HTTPRequest, to file: URL, observer: any TransferObserver) async throws -> HTTPResponse
}

/// Sees a downloaded body as it arrives, from one thread at a time.
public protocol TransferObserver: AnyObject, Sendable {
    /// A 2xx body begins (again, when a download is retried): forget every byte seen so far. `headers` are the
    /// answer's, so the observer can choose what to compute.
    func begin(headers: [String: String])
    func received(_ bytes: UnsafeRawBufferPointer)
}

extension HTTPTransport {
    public var streamsFileBodies: Bool { false }

    /// For transports that cannot show bytes in flight: downloads, then reads the file back once.
    public func download(_ request: HTTPRequest, to file: URL, observer: any TransferObserver) async throws
        -> HTTPResponse
    {
        let response = try await download(request, to: file)
        guard (200..<300).contains(response.status) else { return response }
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: file.path])
        }
        defer { try? handle.close() }
        observer.begin(headers: response.headers)
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { observer.received($0) }
        }
        return response
    }
}

/// A failure below HTTP: no connection, a reset, a timeout.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case cannotConnect
        case connectionLost
        case timedOut
        case other
    }

    public var kind: Kind
    public var method: String
    public var url: String
    public var detail: String

    public init(kind: Kind, method: String, url: String, detail: String) {
        self.kind = kind
        self.method = method
        self.url = url
        self.detail = detail
    }

    public var description: String {
        let what: String
        switch kind {
        case .cannotConnect: what = "cannot connect"
        case .connectionLost: what = "connection lost"
        case .timedOut: what = "timed out"
        case .other: what = "failed"
        }
        return "\(method) \(url): \(what) (\(detail))"
    }

    /// Resets and timeouts may succeed on a new attempt; so may a refused connection (a server restarting).
    public var isRetryable: Bool { kind != .other }
}
