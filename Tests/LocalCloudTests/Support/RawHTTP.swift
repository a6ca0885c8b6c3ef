import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Sends one HTTP/1.1 request exactly as written (no client normalises `..` or percent-escapes on the way) to an
/// emulator on 127.0.0.1, and reads the answer to the end.
enum RawHTTP {
    struct Answer {
        var status: Int
        var head: String
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func send(
        _ method: String, _ target: String, to endpoint: URL, headers: [String: String] = [:], body: Data = Data()
    ) async throws -> Answer {
        guard let port = endpoint.port.flatMap(UInt16.init(exactly:)) else {
            throw Failure(description: "\(endpoint) has no port")
        }
        // Blocking socket calls run on a thread of their own, never on the cooperative pool that the in-process
        // emulator needs to answer.
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try exchange(method: method, target: target, port: port, headers: headers, body: body)
                    })
            }
        }
    }

    /// Sends a request's head with `Expect: 100-continue` and no body, and returns the first line the server
    /// answers: a server that honours Expect answers `HTTP/1.1 100 Continue` at once, so the client sends the body
    /// without waiting. Then sends `body` and returns the final answer too.
    static func expectingContinue(_ target: String, to endpoint: URL, body: Data) async throws -> (
        interim: String, final: Answer
    ) {
        guard let port = endpoint.port.flatMap(UInt16.init(exactly:)) else {
            throw Failure(description: "\(endpoint) has no port")
        }
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        let socketFD = try connected(port: port)
                        defer { close(socketFD) }
                        let head =
                            "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
                            + "Content-Length: \(body.count)\r\nExpect: 100-continue\r\n\r\n"
                        try sendAll(Data(head.utf8), on: socketFD)
                        // Nothing more is sent until the server speaks: its first bytes are the interim answer.
                        var first = Data()
                        var byte: UInt8 = 0
                        while !(first.count >= 4 && first.suffix(4).elementsEqual("\r\n\r\n".utf8)) {
                            let count = recv(socketFD, &byte, 1, 0)
                            if count < 0 && errno == EINTR { continue }
                            guard count == 1 else { throw Failure(description: "no interim answer: \(errno)") }
                            first.append(byte)
                        }
                        let interim = String(decoding: first, as: UTF8.self).split(separator: "\r\n").first ?? ""
                        try sendAll(body, on: socketFD)
                        return (String(interim), try readAnswer(socketFD))
                    })
            }
        }
    }

    /// Sends only a request's head (which announces `contentLength` body bytes that never come) and returns the
    /// status of the first final answer: a server that decides from the head answers without waiting for the body.
    static func statusForHeadOnly(
        _ method: String, _ target: String, to endpoint: URL, contentLength: Int, headers: [String: String] = [:]
    ) async throws -> Int {
        guard let port = endpoint.port.flatMap(UInt16.init(exactly:)) else {
            throw Failure(description: "\(endpoint) has no port")
        }
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        let socketFD = try connected(port: port)
                        defer { close(socketFD) }
                        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
                        head += "Content-Length: \(contentLength)\r\n"
                        for (name, value) in headers { head += "\(name): \(value)\r\n" }
                        try sendAll(Data((head + "\r\n").utf8), on: socketFD)
                        while true {
                            var received = Data()
                            var byte: UInt8 = 0
                            while !(received.count >= 4 && received.suffix(4).elementsEqual("\r\n\r\n".utf8)) {
                                let count = recv(socketFD, &byte, 1, 0)
                                if count < 0 && errno == EINTR { continue }
                                guard count == 1 else { throw Failure(description: "no answer to the head: \(errno)") }
                                received.append(byte)
                            }
                            let parts = String(decoding: received, as: UTF8.self).split(separator: " ")
                            let status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
                            if status != 100 { return status }
                        }
                    })
            }
        }
    }

    private static func connected(port: UInt16) throws -> Int32 {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket: \(errno)") }
        // Only a guard against a server that never answers: a loaded machine (a 2 MB upload while other builds
        // run) may take well over 30 s, and a test must not fail for being slow.
        var timeout = timeval(tv_sec: 600, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(socketFD)
            throw Failure(description: "connect: \(errno)")
        }
        return socketFD
    }

    private static func sendAll(_ data: Data, on socketFD: Int32) throws {
        try data.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let result = Glibc.send(socketFD, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard result > 0 else { throw Failure(description: "send: \(errno)") }
                sent += result
            }
        }
    }

    private static func readAnswer(_ socketFD: Int32) throws -> Answer {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(socketFD, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            received.append(contentsOf: buffer[0..<count])
        }
        guard let split = received.range(of: Data("\r\n\r\n".utf8)) else {
            throw Failure(description: "no HTTP answer (\(received.count) bytes)")
        }
        let headText = String(decoding: received[..<split.lowerBound], as: UTF8.self)
        let statusLine = headText.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        let status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        var bodyData = Data(received[split.upperBound...])
        if headText.lowercased().contains("transfer-encoding: chunked") { bodyData = dechunk(bodyData) }
        return Answer(status: status, head: headText, body: bodyData)
    }

    private struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private static func exchange(
        method: String, target: String, port: UInt16, headers: [String: String], body: Data
    ) throws -> Answer {
        let socketFD = try connected(port: port)
        defer { close(socketFD) }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try sendAll(Data(head.utf8) + body, on: socketFD)
        return try readAnswer(socketFD)
    }

    private static func dechunk(_ data: Data) -> Data {
        var output = Data()
        var rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard rest.distance(from: start, to: rest.endIndex) >= size else { break }
            let end = rest.index(start, offsetBy: size)
            output.append(rest[start..<end])
            rest = rest[end...].dropFirst(2)
        }
        return output
    }
}
