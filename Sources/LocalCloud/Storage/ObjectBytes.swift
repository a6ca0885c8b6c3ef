import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// An object's bytes, open for reading: `length` bytes from `offset` of an open file, read in pieces as a response
/// streams them (never the whole object in memory). The file is closed when the last reference goes.
final class ObjectBytes: Sendable {
    let descriptor: Int32
    let offset: Int64
    let length: Int64

    init(descriptor: Int32, offset: Int64, length: Int64) {
        self.descriptor = descriptor
        self.offset = offset
        self.length = length
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    struct ReadError: Error, CustomStringConvertible {
        var description: String
    }

    /// Up to `count` bytes from `position` (relative to `offset`) into a new buffer.
    func read(at position: Int64, count: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws
        -> ByteBuffer
    {
        let wanted = Int(min(Int64(count), length - position))
        var buffer = allocator.buffer(capacity: max(wanted, 0))
        guard wanted > 0 else { return buffer }
        let descriptor = self.descriptor
        let start = offset + position
        let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { target in
            while true {
                let result = pread(descriptor, target.baseAddress!, wanted, off_t(start))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else {
                    throw ReadError(
                        description: result == 0
                            ? "the file ended early" : String(cString: strerror(errno)))
                }
                return result
            }
        }
        _ = read
        return buffer
    }

    /// Every byte, in memory (for small objects).
    func readAll() throws -> Data {
        var data = Data()
        var position: Int64 = 0
        while position < length {
            let piece = try read(at: position, count: 1 << 20)
            data.append(contentsOf: piece.readableBytesView)
            position += Int64(piece.readableBytes)
        }
        return data
    }
}
