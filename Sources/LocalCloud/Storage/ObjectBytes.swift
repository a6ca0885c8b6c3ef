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

    /// Up to `count` bytes from `position` (relative to `offset`) into a new buffer.
    func read(at position: Int64, count: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws
        -> ByteBuffer
    {
        let wanted = Int(min(Int64(count), length - position))
        var buffer = allocator.buffer(capacity: max(wanted, 0))
        guard wanted > 0 else { return buffer }
        let descriptor = self.descriptor
        let start = offset + position
        _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { target in
            while true {
                let result = pread(descriptor, target.baseAddress!, wanted, off_t(start))
                if result < 0 && errno == EINTR { continue }
                // The file was checked against the object's size when it was opened; ending early is EIO.
                guard result > 0 else { throw LocalCloudError.io("read an object's file", result == 0 ? EIO : errno) }
                return result
            }
        }
        return buffer
    }
}
