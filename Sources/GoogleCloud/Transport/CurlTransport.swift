import CCurl
import Clocks
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `HTTPTransport` over libcurl's easy interface, the library under Foundation's URLSession on Linux, used
/// directly: bodies stream between the socket and the file in large blocks, with no copy through Foundation, and
/// a download's bytes can be hashed as they arrive. Each transfer runs on a thread of its own (it blocks there,
/// never on Swift's cooperative pool); finished handles are kept, with their open connections, for the next call.
///
/// Like `URLSessionTransport`, redirects are handed back, not followed, and the request's timeout is the time
/// allowed without progress.
public final class CurlTransport: HTTPTransport {
    private let handles = HandlePool()
    /// The clock the time without progress is measured on.
    private let clock: AnyClock<Duration>

    public init(clock: AnyClock<Duration> = .continuous) {
        self.clock = clock
        _ = Self.globalInit
    }

    private static let globalInit: Void = {
        _ = batchledger_curl_global_init()
        // With CURLOPT_NOSIGNAL (required with threads) libcurl no longer guards against SIGPIPE, which a TLS write
        // to a closed connection can raise; the failure must come back as an error, not end the process.
        signal(SIGPIPE, SIG_IGN)
    }()

    public var streamsFileBodies: Bool { true }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await perform(CurlTransfer(request: request, destination: nil, observer: nil, clock: clock))
    }

    public func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse {
        try await perform(CurlTransfer(request: request, destination: file, observer: nil, clock: clock))
    }

    public func download(_ request: HTTPRequest, to file: URL, observer: any TransferObserver) async throws
        -> HTTPResponse
    {
        try await perform(CurlTransfer(request: request, destination: file, observer: observer, clock: clock))
    }

    private func perform(_ transfer: CurlTransfer) async throws -> HTTPResponse {
        let handles = self.handles
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                let thread = Thread {
                    let handle = handles.take()
                    let result = Result { try transfer.run(on: handle) }
                    handles.give(back: handle)
                    continuation.resume(with: result)
                }
                thread.name = "batchledger-http"
                thread.start()
            }
        } onCancel: {
            transfer.cancel()
        }
    }
}

/// Idle easy handles; a handle keeps its connections open between transfers.
private final class HandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private let keep = 16

    func take() -> UnsafeMutableRawPointer {
        lock.lock()
        let handle = idle.popLast()
        lock.unlock()
        if let handle { return handle }
        guard let handle = curl_easy_init() else { fatalError("libcurl could not create a handle (out of memory)") }
        return handle
    }

    func give(back handle: UnsafeMutableRawPointer) {
        // Drops the finished transfer's pointers (error buffer, header list, callbacks' data); keeps connections.
        curl_easy_reset(handle)
        lock.lock()
        if idle.count < keep {
            idle.append(handle)
            lock.unlock()
        } else {
            lock.unlock()
            curl_easy_cleanup(handle)
        }
    }

    deinit {
        for handle in idle { curl_easy_cleanup(handle) }
    }
}

/// One request and its answer. The callbacks run on the transfer's thread; only `cancel()` comes from elsewhere.
private final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    let destination: URL?
    let observer: (any TransferObserver)?

    private var status = 0
    private var headers: [(String, String)] = []
    private var body = Data()
    /// The download's file, opened at the first byte of a 2xx body.
    private var descriptor: Int32 = -1
    private var fileFailure: String?
    /// Why the request's body could not be read to its end.
    private var bodyFailure: String?
    private var source: BodySource = .none
    private let clock: AnyClock<Duration>
    /// When the byte count last moved (at first: when the transfer was made).
    private var lastProgress: AnyClock<Duration>.Instant
    private var lastCount: Int64 = 0
    private var idleTimeout: Duration
    private var timedOutWithoutProgress = false
    private let cancelLock = NSLock()
    private var cancelled = false

    /// The largest error body kept from a download (its message); the rest is dropped.
    private static let errorBodyLimit = 1 << 20
    private static let receiveBuffer = 512 << 10
    private static let sendBuffer = 512 << 10
    /// Bodies from this size on wait for `100 Continue`, so a refused request does not send them in vain.
    private static let expectContinueThreshold: Int64 = 1 << 20
    private static let connectTimeout: Duration = .seconds(30)

    init(request: HTTPRequest, destination: URL?, observer: (any TransferObserver)?, clock: AnyClock<Duration>) {
        self.clock = clock
        lastProgress = clock.now
        self.request = request
        self.destination = destination
        self.observer = observer
        self.idleTimeout = request.timeout
    }

    func cancel() {
        cancelLock.lock()
        cancelled = true
        cancelLock.unlock()
    }

    private var isCancelled: Bool {
        cancelLock.lock()
        defer { cancelLock.unlock() }
        return cancelled
    }

    func run(on handle: UnsafeMutableRawPointer) throws -> HTTPResponse {
        defer {
            if descriptor >= 0 { close(descriptor) }
            if case .file(let file, _, _, _, _) = source { close(file) }
        }
        if isCancelled { throw CancellationError() }
        let url = request.url.redactedDescription
        for (name, value) in request.headers where (name + value).utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
            throw TransportError(
                kind: .other, method: request.method, url: url,
                detail: "the header \(name) has a line break in its name or value; refused")
        }
        do {
            source = try BodySource(request.body)
        } catch {
            throw TransportError(kind: .other, method: request.method, url: url, detail: "\(error)")
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(batchledger_curl_error_size))
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        if source.length < Self.expectContinueThreshold && request.header("Expect") == nil {
            // libcurl asks for 100 Continue before any body; for a small one the round trip costs more than it saves.
            list = curl_slist_append(list, "Expect:")
        }
        defer { curl_slist_free_all(list) }

        let me = Unmanaged.passUnretained(self).toOpaque()
        let code: CURLcode = request.url.absoluteString.withCString { url in
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                _ = batchledger_curl_setopt_string(handle, CURLOPT_URL, url)
                _ = batchledger_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                _ = batchledger_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                _ = batchledger_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                _ = batchledger_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                _ = batchledger_curl_setopt_long(handle, CURLOPT_BUFFERSIZE, Self.receiveBuffer)
                _ = batchledger_curl_setopt_long(handle, CURLOPT_UPLOAD_BUFFERSIZE, Self.sendBuffer)
                _ = batchledger_curl_setopt_long(
                    handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(min(idleTimeout, Self.connectTimeout)))
                _ = batchledger_curl_setopt_list(handle, CURLOPT_HTTPHEADER, list)
                _ = batchledger_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, me)
                _ = batchledger_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION, curlWrite)
                _ = batchledger_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, me)
                _ = batchledger_curl_setopt_write(handle, CURLOPT_HEADERFUNCTION, curlHeader)
                _ = batchledger_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
                _ = batchledger_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, me)
                _ = batchledger_curl_setopt_xferinfo(handle, curlProgress)
                configureMethod(handle, me)
                return curl_easy_perform(handle)
            }
        }
        if code != CURLE_OK {
            throw failure(
                code,
                detail: String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        if let fileFailure {
            throw TransportError(
                kind: .other, method: request.method, url: request.url.redactedDescription, detail: fileFailure)
        }
        let answer = joinedHeaders()
        if let destination, (200..<300).contains(status), descriptor < 0 {
            // An empty body still makes a file.
            try openDestination(destination)
        }
        return HTTPResponse(status: status, headers: answer, body: body)
    }

    /// Repeated headers, whatever their case, become one, comma-joined (as Foundation does).
    private func joinedHeaders() -> [String: String] {
        var answer: [String: String] = [:]
        var spelling: [String: String] = [:]
        for (name, value) in headers {
            if let first = spelling[name.lowercased()] {
                answer[first] = answer[first]! + ", " + value
            } else {
                spelling[name.lowercased()] = name
                answer[name] = value
            }
        }
        return answer
    }

    private func configureMethod(_ handle: UnsafeMutableRawPointer, _ me: UnsafeMutableRawPointer) {
        let method = request.method.uppercased()
        let hasBody: Bool
        if case .none = request.body { hasBody = ["POST", "PUT", "PATCH"].contains(method) } else { hasBody = true }
        if hasBody {
            // UPLOAD sends the body from the read callback with a Content-Length; the method is set apart.
            _ = batchledger_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            _ = batchledger_curl_setopt_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(source.length))
            _ = batchledger_curl_setopt_pointer(handle, CURLOPT_READDATA, me)
            _ = batchledger_curl_setopt_read(handle, curlRead)
            _ = batchledger_curl_setopt_pointer(handle, CURLOPT_SEEKDATA, me)
            _ = batchledger_curl_setopt_seek(handle, curlSeek)
            if method != "PUT" { _ = batchledger_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method) }
        } else if method == "GET" {
            _ = batchledger_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        } else if method == "HEAD" {
            _ = batchledger_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
        } else {
            _ = batchledger_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
        }
    }

    private func failure(_ code: CURLcode, detail: String) -> any Error {
        let url = request.url.redactedDescription
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        if code == CURLE_ABORTED_BY_CALLBACK {
            if timedOutWithoutProgress {
                return TransportError(
                    kind: .timedOut, method: request.method, url: url,
                    detail: "no progress for \(Self.milliseconds(idleTimeout)) ms")
            }
            if isCancelled { return CancellationError() }
        }
        if code == CURLE_WRITE_ERROR, let fileFailure {
            return TransportError(kind: .other, method: request.method, url: url, detail: fileFailure)
        }
        if code == CURLE_ABORTED_BY_CALLBACK, let bodyFailure {
            return TransportError(kind: .other, method: request.method, url: url, detail: bodyFailure)
        }
        let kind: TransportError.Kind
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR:
            // A TLS handshake reset sent nothing yet: as safe to try again as a refused connection.
            kind = .cannotConnect
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timedOut
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            kind = .connectionLost
        default:
            kind = .other
        }
        return TransportError(kind: kind, method: request.method, url: url, detail: text)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    // MARK: - Callbacks

    fileprivate func receiveHeader(_ line: UnsafeRawBufferPointer) {
        var end = line.count
        while end > 0 && (line[end - 1] == 0x0A || line[end - 1] == 0x0D) { end -= 1 }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: line[..<end]), as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            // A new status line: an interim answer (100 Continue) was before it.
            headers.removeAll()
            status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = String(text[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        headers.append((name, value))
    }

    /// Returns how many bytes were taken; anything else makes libcurl stop with a write error.
    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let destination, (200..<300).contains(status) else {
            if destination == nil || body.count < Self.errorBodyLimit { body.append(contentsOf: bytes) }
            return bytes.count
        }
        if descriptor < 0 {
            do { try openDestination(destination) } catch {
                fileFailure = "cannot write \(destination.path): \(error.localizedDescription)"
                return 0
            }
        }
        var written = 0
        while written < bytes.count {
            let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                fileFailure = "cannot write \(destination.path): \(String(cString: strerror(errno)))"
                return 0
            }
            written += result
        }
        observer?.received(bytes)
        return bytes.count
    }

    private func openDestination(_ destination: URL) throws {
        let opened = open(destination.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw CocoaError(
                .fileWriteUnknown,
                userInfo: [
                    NSFilePathErrorKey: destination.path,
                    NSLocalizedDescriptionKey: String(cString: strerror(errno)),
                ])
        }
        descriptor = opened
        observer?.begin(headers: joinedHeaders())
    }

    /// Fills `buffer` from the body; 0 at its end.
    fileprivate func sendBody(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        do {
            return try source.read(into: buffer)
        } catch {
            bodyFailure = "\(error)"
            return Int(batchledger_curl_readfunc_abort)
        }
    }

    fileprivate func rewindBody(to offset: Int64) -> Bool {
        source.seek(to: offset)
    }

    /// Aborts a cancelled transfer, or one without progress for longer than the timeout.
    fileprivate func progress(_ count: Int64) -> Bool {
        if isCancelled { return false }
        let now = clock.now
        if count != lastCount {
            lastCount = count
            lastProgress = now
        } else if lastProgress.duration(to: now) > idleTimeout {
            timedOutWithoutProgress = true
            return false
        }
        return true
    }
}

/// Where a request's body comes from.
private enum BodySource {
    case none
    case data(Data, position: Int)
    case file(Int32, path: String, start: Int64, length: Int64, position: Int64)

    struct Unreadable: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot read \(path): \(reason)" }
    }

    init(_ body: HTTPRequest.Body) throws {
        switch body {
        case .none:
            self = .none
        case .data(let data):
            self = .data(data, position: 0)
        case .file(let url):
            let descriptor = try Self.openForReading(url)
            var info = stat()
            fstat(descriptor, &info)
            self = .file(descriptor, path: url.path, start: 0, length: Int64(info.st_size), position: 0)
        case .fileRange(let url, let offset, let length):
            self = .file(
                try Self.openForReading(url), path: url.path, start: offset, length: length, position: 0)
        }
    }

    private static func openForReading(_ url: URL) throws -> Int32 {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Unreadable(path: url.path, reason: String(cString: strerror(errno))) }
        return descriptor
    }

    var length: Int64 {
        switch self {
        case .none: return 0
        case .data(let data, _): return Int64(data.count)
        case .file(_, _, _, let length, _): return length
        }
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        switch self {
        case .none:
            return 0
        case .data(let data, let position):
            let count = min(buffer.count, data.count - position)
            guard count > 0 else { return 0 }
            data.withUnsafeBytes { bytes in
                buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + position, byteCount: count)
            }
            self = .data(data, position: position + count)
            return count
        case .file(let descriptor, let path, let start, let length, let position):
            let wanted = Int(min(Int64(buffer.count), length - position))
            guard wanted > 0 else { return 0 }
            while true {
                let result = pread(descriptor, buffer.baseAddress!, wanted, off_t(start + position))
                if result < 0 && errno == EINTR { continue }
                // A file that shrank, or cannot be read, ends the transfer with an error.
                if result < 0 { throw Unreadable(path: path, reason: String(cString: strerror(errno))) }
                if result == 0 {
                    throw Unreadable(
                        path: path, reason: "it ended at byte \(start + position), before the \(length) bytes to send")
                }
                self = .file(
                    descriptor, path: path, start: start, length: length, position: position + Int64(result))
                return result
            }
        }
    }

    mutating func seek(to offset: Int64) -> Bool {
        guard offset >= 0, offset <= length else { return false }
        switch self {
        case .none: return offset == 0
        case .data(let data, _): self = .data(data, position: Int(offset))
        case .file(let descriptor, let path, let start, let length, _):
            self = .file(descriptor, path: path, start: start, length: length, position: offset)
        }
        return true
    }
}

// libcurl's callbacks: C functions that find their transfer through the user-data pointer.

private func curlWrite(
    _ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?
) -> Int {
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: pointer, count: size * count))
}

private func curlHeader(
    _ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?
) -> Int {
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
    transfer.receiveHeader(UnsafeRawBufferPointer(start: pointer, count: size * count))
    return size * count
}

private func curlRead(
    _ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?
) -> Int {
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
    return transfer.sendBody(into: UnsafeMutableRawBufferPointer(start: pointer, count: size * count))
}

private func curlSeek(_ user: UnsafeMutableRawPointer?, _ offset: curl_off_t, _ origin: Int32) -> Int32 {
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
    guard origin == SEEK_SET, transfer.rewindBody(to: Int64(offset)) else {
        return batchledger_curl_seekfunc_cantseek
    }
    return batchledger_curl_seekfunc_ok
}

private func curlProgress(
    _ user: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t, _ downloaded: curl_off_t,
    _ uploadTotal: curl_off_t, _ uploaded: curl_off_t
) -> Int32 {
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
    return transfer.progress(Int64(downloaded) + Int64(uploaded)) ? 0 : 1
}
