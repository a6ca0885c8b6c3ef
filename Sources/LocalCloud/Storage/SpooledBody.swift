import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// A request body written to a file under `uploads/` as it arrives. An object upload renames the file into place;
/// otherwise it is removed with the last reference.
final class SpooledBody: Sendable {
    let url: URL
    let count: Int64

    private init(url: URL, count: Int64) {
        self.url = url
        self.count = count
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// Writes `body` to a new file in `folder`.
    static func write<Body: AsyncSequence>(_ body: Body, into folder: URL) async throws -> SpooledBody
    where Body.Element == ByteBuffer {
        let url = folder.appendingPathComponent("spool-\(UUID().uuidString.lowercased())")
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LocalCloudError.io("spool an upload", errno) }
        var count: Int64 = 0
        do {
            defer { close(descriptor) }
            for try await buffer in body {
                try buffer.withUnsafeReadableBytes { bytes in
                    var written = 0
                    while written < bytes.count {
                        let result = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                        if result < 0 {
                            if errno == EINTR { continue }
                            throw LocalCloudError.io("spool an upload", errno)
                        }
                        written += result
                    }
                }
                count += Int64(buffer.readableBytes)
            }
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw error
        }
        return SpooledBody(url: url, count: count)
    }

    /// Appends the bytes from `offset` on to the end of `handle`, copied inside the kernel (sendfile).
    func append(from offset: Int64, to handle: FileHandle) throws {
        let source = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard source >= 0 else { throw LocalCloudError.io("read a spooled upload", errno) }
        defer { close(source) }
        let target = handle.fileDescriptor
        // sendfile writes at the target's own offset: its end.
        guard lseek(target, 0, SEEK_END) >= 0 else { throw LocalCloudError.io("append to an upload", errno) }
        var from = off_t(offset)
        var remaining = count - offset
        while remaining > 0 {
            let copied = sendfile(target, source, &from, Int(min(remaining, 1 << 30)))
            if copied < 0 {
                if errno == EINTR { continue }
                throw LocalCloudError.io("append to an upload", errno)
            }
            if copied == 0 { throw LocalCloudError.io("append to an upload (the spooled body ended early)", EIO) }
            remaining -= Int64(copied)
        }
    }
}
