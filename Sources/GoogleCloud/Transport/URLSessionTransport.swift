import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `HTTPTransport` over Foundation's URLSession (libcurl on Linux). Redirects are handed back, not followed: a
/// resumable upload's `308 Resume Incomplete` is an answer, not a redirect.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    private let delegate = NoRedirects()

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let urlRequest = makeURLRequest(request)
        do {
            let (data, response): (Data, URLResponse)
            switch request.body {
            case .none:
                (data, response) = try await session.data(for: urlRequest)
            case .data(let body):
                (data, response) = try await session.upload(for: urlRequest, from: body)
            case .file(let file):
                (data, response) = try await session.upload(for: urlRequest, fromFile: file)
            case .fileRange(let file, let offset, let length):
                // URLSession cannot stream part of a file: the range is read into memory.
                (data, response) = try await session.upload(
                    for: urlRequest, from: try Self.read(file, offset: offset, length: length))
            }
            return try Self.response(response, body: data, request: request)
        } catch let error as URLError {
            throw Self.transportError(error, request: request)
        }
    }

    public func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse {
        let urlRequest = makeURLRequest(request)
        do {
            let (temporary, response) = try await session.download(for: urlRequest)
            var result = try Self.response(response, body: Data(), request: request)
            if (200..<300).contains(result.status) {
                try? FileManager.default.removeItem(at: file)
                try FileManager.default.moveItem(at: temporary, to: file)
            } else {
                // Error bodies are small; keep them for the message.
                result.body = (try? Data(contentsOf: temporary)) ?? Data()
                try? FileManager.default.removeItem(at: temporary)
            }
            return result
        } catch let error as URLError {
            throw Self.transportError(error, request: request)
        }
    }

    static func read(_ file: URL, offset: Int64, length: Int64) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: file.path])
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let data = try handle.read(upToCount: Int(length)) ?? Data()
        guard data.count == Int(length) else {
            throw CocoaError(.fileReadTooLarge, userInfo: [NSFilePathErrorKey: file.path])
        }
        return data
    }

    private func makeURLRequest(_ request: HTTPRequest) -> URLRequest {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        let seconds =
            Double(request.timeout.components.seconds)
            + Double(request.timeout.components.attoseconds) / 1e18
        urlRequest.timeoutInterval = seconds
        for (name, value) in request.headers {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        return urlRequest
    }

    private static func response(_ response: URLResponse, body: Data, request: HTTPRequest) throws -> HTTPResponse {
        guard let http = response as? HTTPURLResponse else {
            throw TransportError(
                kind: .other, method: request.method, url: request.url.redactedDescription,
                detail: "the answer was not HTTP")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: body)
    }

    private static func transportError(_ error: URLError, request: HTTPRequest) -> TransportError {
        let kind: TransportError.Kind
        switch error.code {
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            kind = .cannotConnect
        case .networkConnectionLost, .badServerResponse:
            kind = .connectionLost
        case .timedOut:
            kind = .timedOut
        default:
            kind = .other
        }
        return TransportError(
            kind: kind, method: request.method, url: request.url.redactedDescription,
            detail: error.localizedDescription)
    }
}

/// Refuses every redirect, so the caller sees the 3xx itself.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

extension URL {
    /// Query parameters that carry a credential: a token, an API key, a JWT assertion, a resumable upload's session
    /// (anyone holding it may upload to it), a signed URL's signature.
    static let secretQueryItems: Set<String> = [
        "access_token", "key", "assertion", "upload_id", "x-goog-signature", "x-goog-credential",
    ]

    /// The URL with those parameters' values replaced by `REDACTED`; safe to print.
    var redactedDescription: String {
        guard var components = URLComponents(url: self, resolvingAgainstBaseURL: false) else { return "(a URL)" }
        components.queryItems = components.queryItems?.map { item in
            Self.secretQueryItems.contains(item.name.lowercased())
                ? URLQueryItem(name: item.name, value: "REDACTED") : item
        }
        return components.string ?? "(a URL)"
    }
}
