import Clocks
import CCRC32C
import Foundation
import Testing

@testable import GoogleCloud

/// Records what a download showed it.
final class RecordingObserver: TransferObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var seen = Data()
    private var restarts = 0
    private var answer: [String: String] = [:]

    var bytes: Data { lock.withLock { seen } }
    var restartCount: Int { lock.withLock { restarts } }
    var headers: [String: String] { lock.withLock { answer } }

    func begin(headers: [String: String]) {
        lock.withLock {
            seen = Data()
            restarts += 1
            answer = headers
        }
    }
    func received(_ bytes: UnsafeRawBufferPointer) { lock.withLock { seen.append(contentsOf: bytes) } }
}

@Suite("libcurl transport against a scripted HTTP server")
struct CurlTransportTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    @Test("methods, headers and bodies go out exactly; repeated headers come back joined; the connection is reused")
    func requestsAndAnswers() async throws {
        let server = try RawHTTPServer { request in
            .bytes(
                RawHTTPServer.answer(
                    201, "Created",
                    headers: [
                        ("X-Goog-Hash", "crc32c=AAAAAA=="), ("x-goog-hash", "md5=BBBB"), ("Content-Type", "a/b"),
                    ],
                    body: Data("answer to \(request.method)".utf8)), close: false)
        }
        defer { server.stop() }
        let transport = CurlTransport()
        let source = folder.appendingPathComponent("source.bin")
        try Data((0..<1000).map { UInt8($0 % 251) }).write(to: source)

        let get = try await transport.send(
            HTTPRequest(
                method: "GET", url: server.url.appendingPathComponent("a b/%2F"),
                headers: ["Authorization": "Bearer t", "X-Custom": "1"]))
        #expect(get.status == 201)
        #expect(get.body == Data("answer to GET".utf8))
        #expect(get.header("x-goog-hash") == "crc32c=AAAAAA==, md5=BBBB")
        #expect(get.header("content-type") == "a/b")
        let post = try await transport.send(
            HTTPRequest(
                method: "POST", url: server.url.appendingPathComponent("p"),
                headers: ["Content-Type": "application/json"], body: .data(Data("{\"a\":1}".utf8))))
        #expect(post.body == Data("answer to POST".utf8))
        _ = try await transport.send(
            HTTPRequest(method: "PUT", url: server.url, body: .fileRange(source, offset: 100, length: 300)))
        _ = try await transport.send(HTTPRequest(method: "POST", url: server.url))
        _ = try await transport.send(HTTPRequest(method: "DELETE", url: server.url))
        _ = try await transport.send(HTTPRequest(method: "PATCH", url: server.url, body: .file(source)))

        let requests = server.requests
        #expect(requests.map(\.method) == ["GET", "POST", "PUT", "POST", "DELETE", "PATCH"])
        #expect(requests[0].target == "/a%20b/%252F")
        #expect(requests[0].header("Authorization") == "Bearer t")
        #expect(requests[0].header("X-Custom") == "1")
        #expect(requests[1].body == Data("{\"a\":1}".utf8))
        #expect(requests[1].header("Content-Type") == "application/json")
        #expect(requests[2].body == (try Data(contentsOf: source)).subdata(in: 100..<400))
        #expect(requests[2].header("Content-Length") == "300")
        #expect(requests[3].header("Content-Length") == "0", "a POST without a body still says its length")
        #expect(requests[4].body.isEmpty)
        #expect(requests[5].body == (try Data(contentsOf: source)))
        #expect(server.connectionCount == 1, "one kept-alive connection for all six calls")
    }

    @Test("a 308 with a Location is handed back, not followed")
    func redirectsAreAnswers() async throws {
        let server = try RawHTTPServer { _ in
            .bytes(
                RawHTTPServer.answer(
                    308, "Resume Incomplete",
                    headers: [("Range", "bytes=0-262143"), ("Location", "http://x/elsewhere")]),
                close: false)
        }
        defer { server.stop() }
        let response = try await CurlTransport().send(
            HTTPRequest(method: "PUT", url: server.url, body: .data(Data(repeating: 7, count: 262_144))))
        #expect(response.status == 308)
        #expect(response.header("Range") == "bytes=0-262143")
        #expect(server.requests.count == 1)
    }

    @Test("a large body goes after 100 Continue, streamed from the file")
    func largeUpload() async throws {
        let server = try RawHTTPServer { request in
            .bytes(RawHTTPServer.answer(200, body: Data(String(request.body.count).utf8)), close: false)
        }
        defer { server.stop() }
        let source = folder.appendingPathComponent("large.bin")
        var bytes = [UInt8](repeating: 0, count: 5 << 20)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 9) }
        try Data(bytes).write(to: source)
        let response = try await CurlTransport().send(
            HTTPRequest(method: "PUT", url: server.url, body: .fileRange(source, offset: 1 << 20, length: 3 << 20)))
        #expect(String(decoding: response.body, as: UTF8.self) == String(3 << 20))
        #expect(server.requests.first?.body == Data(bytes[(1 << 20)..<(4 << 20)]))
    }

    @Test("a 2xx download streams into the file and past the observer; an error body stays in memory, no file")
    func downloads() async throws {
        let payload = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let server = try RawHTTPServer { request in
            request.target == "/missing"
                ? .bytes(
                    RawHTTPServer.answer(404, "Not Found", body: Data("{\"error\":{\"code\":404}}".utf8)), close: false)
                : .bytes(RawHTTPServer.answer(200, body: payload), close: false)
        }
        defer { server.stop() }
        let transport = CurlTransport()
        let target = folder.appendingPathComponent("copy.bin")
        try Data("old".utf8).write(to: target)
        let observer = RecordingObserver()
        let response = try await transport.download(
            HTTPRequest(method: "GET", url: server.url.appendingPathComponent("object")), to: target,
            observer: observer)
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(try Data(contentsOf: target) == payload)
        #expect(observer.bytes == payload)
        #expect(observer.restartCount == 1)
        #expect(observer.headers["Content-Length"] == String(payload.count), "the observer sees the answer's headers")

        let absent = folder.appendingPathComponent("absent.bin")
        let missing = try await transport.download(
            HTTPRequest(method: "GET", url: server.url.appendingPathComponent("missing")), to: absent,
            observer: RecordingObserver())
        #expect(missing.status == 404)
        #expect(String(decoding: missing.body, as: UTF8.self) == "{\"error\":{\"code\":404}}")
        #expect(!FileManager.default.fileExists(atPath: absent.path))

        let empty = try RawHTTPServer { _ in .bytes(RawHTTPServer.answer(200), close: false) }
        defer { empty.stop() }
        let emptyTarget = folder.appendingPathComponent("empty.bin")
        _ = try await transport.download(HTTPRequest(method: "GET", url: empty.url), to: emptyTarget)
        #expect(try Data(contentsOf: emptyTarget).isEmpty, "an empty object is an empty file")
    }

    @Test("a connection closed mid-body is connectionLost; a closed port is cannotConnect; both may be retried")
    func failures() async throws {
        let server = try RawHTTPServer { _ in
            var truncated = RawHTTPServer.answer(200, body: Data(repeating: 1, count: 1000))
            truncated.removeLast(400)
            return .bytes(truncated, close: true)
        }
        defer { server.stop() }
        let transport = CurlTransport()
        let lost = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(method: "GET", url: server.url))
        }
        #expect(lost?.kind == .connectionLost)
        #expect(lost?.isRetryable == true)

        let closed = try RawHTTPServer { _ in .bytes(Data(), close: true) }
        let port = closed.port
        closed.stop()
        let refused = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(port)/x")!))
        }
        #expect(refused?.kind == .cannotConnect)
        #expect(refused?.description.contains("127.0.0.1:\(port)") == true)
    }

    @Test("no progress for the timeout is timedOut; cancelling the task stops the transfer at once")
    func timeoutAndCancellation() async throws {
        // The server never answers and never hangs up: only the transport's idle timeout, or the cancellation, can
        // end a call, so the outcome alone says which did. The idle time is measured on a test clock, moved past
        // the timeout once the request has arrived: nothing waits for real time to pass.
        let (arrivals, arrived) = AsyncStream.makeStream(of: Int.self)
        let (hangUps, hungUp) = AsyncStream.makeStream(of: Int.self)
        let server = try RawHTTPServer { request in
            arrived.yield(request.connection)
            return .silenceUntilHangUp { hungUp.yield(request.connection) }
        }
        defer { server.stop() }
        var arrival = arrivals.makeAsyncIterator()
        var hangUp = hangUps.makeAsyncIterator()
        let clock = TestClock()
        let transport = CurlTransport(clock: AnyClock(clock))
        let stalled = Task {
            try await transport.send(HTTPRequest(method: "GET", url: server.url, timeout: .seconds(1)))
        }
        _ = await arrival.next()
        await clock.advance(by: .seconds(2))
        let timedOut = await #expect(throws: TransportError.self) { try await stalled.value }
        #expect(timedOut?.kind == .timedOut)
        #expect(await hangUp.next() == 1, "the timed-out transfer closed its connection")

        // An idle timeout of an hour: nothing but the cancellation ends this call before then.
        let task = Task {
            try await transport.send(HTTPRequest(method: "GET", url: server.url, timeout: .seconds(3600)))
        }
        let second = await arrival.next()
        // The request has reached the server, so the transfer is under way when it is cancelled.
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(await hangUp.next() == second, "the cancelled transfer closed its connection")
    }

    @Test("a header with a line break is refused; a body file that shrinks says so; session ids never print")
    func refusalsAndRedaction() async throws {
        let server = try RawHTTPServer { _ in .bytes(RawHTTPServer.answer(200), close: false) }
        defer { server.stop() }
        let transport = CurlTransport()
        let injected = await #expect(throws: TransportError.self) {
            try await transport.send(
                HTTPRequest(method: "GET", url: server.url, headers: ["Content-Type": "text/plain\r\nX-Evil: 1"]))
        }
        #expect(injected?.description.contains("line break") == true)
        #expect(server.requests.isEmpty, "nothing was sent")

        let small = folder.appendingPathComponent("small.bin")
        try Data(repeating: 1, count: 1000).write(to: small)
        let shrunk = await #expect(throws: TransportError.self) {
            try await transport.send(
                HTTPRequest(
                    method: "PUT", url: server.url.appendingPathComponent("upload"),
                    body: .fileRange(small, offset: 0, length: 5000)))
        }
        #expect(shrunk?.description.contains("small.bin") == true)
        #expect(shrunk?.description.contains("before the 5000 bytes") == true)

        let closed = try RawHTTPServer { _ in .bytes(Data(), close: true) }
        let port = closed.port
        closed.stop()
        let session = URL(
            string: "http://127.0.0.1:\(port)/upload/storage/v1/b/b/o?uploadType=resumable&upload_id=SECRET-SESSION")!
        let failed = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequest(method: "PUT", url: session, body: .data(Data("x".utf8))))
        }
        #expect(failed?.description.contains("SECRET-SESSION") == false)
        #expect(failed?.description.contains("upload_id=REDACTED") == true)
        #expect(
            URL(string: "https://x/o?X-Goog-Signature=abc&access_token=t&alt=media")!.redactedDescription
                == "https://x/o?X-Goog-Signature=REDACTED&access_token=REDACTED&alt=media")
    }

    @Test("the CPU's CRC32C equals the table's at every length and alignment")
    func crcPaths() {
        var bytes = [UInt8](repeating: 0, count: 4096 + 16)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        bytes.withUnsafeBytes { buffer in
            for offset in 0..<9 {
                for length in [0, 1, 7, 8, 9, 15, 63, 64, 65, 1000, 4096] {
                    let piece = UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + length)])
                    let fast = batchledger_crc32c_update(0x1234_5678, piece.baseAddress, piece.count)
                    let portable = batchledger_crc32c_update_portable(0x1234_5678, piece.baseAddress, piece.count)
                    #expect(fast == portable, "offset \(offset), length \(length)")
                }
            }
        }
        // RFC 3720 B.4: 32 bytes of zeros.
        #expect(CRC32C.checksum(Data(repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum(Data("123456789".utf8)) == 0xE306_9283)
    }
}
