import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for transport tests: it records each request exactly as it arrived and
/// answers with whatever bytes the test scripts, including answers no real server should give (a connection
/// closed mid-body, silence).
final class RawHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var target: String
        var headers: [(String, String)]
        var body: Data
        var connection: Int

        func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
    }

    enum Reply: Sendable {
        /// Raw bytes, written as given; the connection stays open for the next request unless `close`.
        case bytes(Data, close: Bool)
        /// Nothing, for as long as the client keeps the connection open; `hungUp` runs once the client has closed it.
        case silenceUntilHangUp(hungUp: @Sendable () -> Void)
    }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var recorded: [Request] = []
    private var connections = 0
    private let handler: @Sendable (Request) -> Reply

    var requests: [Request] { lock.withLock { recorded } }
    var connectionCount: Int { lock.withLock { connections } }
    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(listener, generic, length) == 0 && listen(listener, 16) == 0
                    && getsockname(listener, generic, &length) == 0
            }
        }
        guard listening else {
            close(listener)
            throw CocoaError(.featureUnsupported)
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops accepting; connections already open end with their client. The accepting thread closes the socket
    /// itself, so that its descriptor number cannot be reused by another server while it still waits on it.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let number = lock.withLock {
                connections += 1
                return connections
            }
            let thread = Thread { [self] in serve(client, connection: number) }
            thread.start()
        }
    }

    private func serve(_ client: Int32, connection: Int) {
        defer { close(client) }
        var buffer = Data()
        while true {
            guard let (head, rest) = readHead(client, buffer: &buffer) else { return }
            buffer = rest
            let lines = head.components(separatedBy: "\r\n")
            let parts = lines[0].split(separator: " ")
            guard parts.count >= 2 else { return }
            var headers: [(String, String)] = []
            for line in lines.dropFirst() where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append(
                    (
                        String(line[..<colon]),
                        String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                    ))
            }
            var request = Request(
                method: String(parts[0]), target: String(parts[1]), headers: headers, body: Data(),
                connection: connection)
            if request.header("Expect")?.lowercased() == "100-continue" {
                send(client, Data("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            let length = Int(request.header("Content-Length") ?? "0") ?? 0
            while buffer.count < length {
                guard let more = receive(client) else { return }
                buffer.append(more)
            }
            request.body = buffer.prefix(length)
            buffer = buffer.dropFirst(length)
            lock.withLock { recorded.append(request) }
            switch handler(request) {
            case .bytes(let data, let close):
                send(client, data)
                if close { return }
            case .silenceUntilHangUp(let hungUp):
                while receive(client) != nil {}
                hungUp()
                return
            }
        }
    }

    private func readHead(_ client: Int32, buffer: inout Data) -> (String, Data)? {
        let separator = Data("\r\n\r\n".utf8)
        while true {
            if let range = buffer.range(of: separator) {
                let head = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                return (head, Data(buffer[range.upperBound...]))
            }
            guard let more = receive(client) else { return nil }
            buffer.append(more)
        }
    }

    private func receive(_ client: Int32) -> Data? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(client, &chunk, chunk.count, 0)
        return count > 0 ? Data(chunk[..<count]) : nil
    }

    private func send(_ client: Int32, _ data: Data) {
        data.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let result = Glibc.send(client, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                if result <= 0 { return }
                sent += result
            }
        }
    }

    /// An HTTP/1.1 answer with a Content-Length.
    static func answer(
        _ status: Int, _ reason: String = "OK", headers: [(String, String)] = [], body: Data = Data()
    ) -> Data {
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Data(head.utf8) + body
    }
}
