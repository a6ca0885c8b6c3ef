import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP connection to a server on 127.0.0.1, for looking at sockets rather than timing them.
struct LoopbackConnection {
    let descriptor: Int32
    /// This end's port, which the server sees as its peer's.
    let localPort: Int

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0, let local = Self.port(of: fd, peer: false) else {
            Glibc.close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port): \(errno)")
        }
        descriptor = fd
        localPort = local
    }

    func close() { Glibc.close(descriptor) }

    /// Sends a GET that keeps the connection open and returns the answer's head. The blocking socket calls run on
    /// a thread of their own: on Swift's cooperative pool (two threads here) they would starve the emulator that
    /// runs in this same process, and every other test.
    func get(_ target: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try self.blockingGet(target) })
            }
        }
    }

    private func blockingGet(_ target: String) throws -> String {
        let request = Data("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        try request.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let result = send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard result > 0 else { throw Failure(description: "send: \(errno)") }
                sent += result
            }
        }
        var head = Data()
        var byte: UInt8 = 0
        while !(head.count >= 4 && head.suffix(4).elementsEqual("\r\n\r\n".utf8)) {
            let count = recv(descriptor, &byte, 1, 0)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { throw Failure(description: "no answer: \(errno)") }
            head.append(byte)
        }
        return String(decoding: head, as: UTF8.self)
    }

    /// The descriptor of this process whose TCP socket is bound to `localPort` and connected to `peerPort`.
    static func descriptor(localPort: Int, peerPort: Int) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for entry in entries {
            guard let candidate = Int32(entry) else { continue }
            if port(of: candidate, peer: false) == localPort, port(of: candidate, peer: true) == peerPort {
                return candidate
            }
        }
        return nil
    }

    /// The IPv4 port of a socket's own end, or of its peer's; nil for anything that is not an IPv4 socket.
    static func port(of descriptor: Int32, peer: Bool) -> Int? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(descriptor, $0, &length) : getsockname(descriptor, $0, &length)
            }
        }
        guard result == 0, address.sin_family == sa_family_t(AF_INET) else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
