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

    private struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private static func exchange(
        method: String, target: String, port: UInt16, headers: [String: String], body: Data
    ) throws -> Answer {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(socketFD) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect: \(errno)") }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let request = Data(head.utf8) + body
        try request.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let result = Glibc.send(socketFD, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard result > 0 else { throw Failure(description: "send: \(errno)") }
                sent += result
            }
        }
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
