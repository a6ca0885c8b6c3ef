import Foundation
import Primitives

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A regular file opened for reading inside a folder, one path component at a time with `openat` and
/// `O_NOFOLLOW`: a symbolic link or anything but a folder on the way, or a final component that is a link or not
/// a regular file, is refused, so the file read is one that is really inside the folder. Closed when released.
final class ConfinedFile: Sendable {
    let descriptor: Int32
    /// The size when it was opened.
    let size: Int64

    /// Why a file cannot be served.
    enum Refusal: Error, Equatable {
        /// Nothing at that path (the file, or a folder on the way).
        case missing
        /// A symbolic link, or not a regular file (or folder on the way).
        case notARegularFile
        /// Another error from the system, with its `errno`.
        case system(Int32)
    }

    /// Opens `name` (a relative path, already checked with `OutputPath.problem`) inside `folder`.
    init(_ name: String, in folder: String) throws(Refusal) {
        var current = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { throw Self.refusal(errno) }
        let parts = name.split(separator: "/").map(String.init)
        for part in parts.dropLast() {
            let next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            close(current)
            guard next >= 0 else { throw Self.refusal(code) }
            current = next
        }
        let file = openat(current, parts.last ?? "", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        let code = errno
        close(current)
        guard file >= 0 else { throw Self.refusal(code) }
        var status = stat()
        guard fstat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(file)
            throw .notARegularFile
        }
        descriptor = file
        size = Int64(status.st_size)
    }

    deinit { close(descriptor) }

    private static func refusal(_ code: Int32) -> Refusal {
        switch code {
        case ENOENT: return .missing
        case ELOOP, ENOTDIR: return .notARegularFile
        default: return .system(code)
        }
    }

    /// Up to `count` bytes from `offset`; fewer at the end of the file, none past it.
    func read(at offset: Int64, count: Int) throws(Refusal) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .system(errno)
            }
            if got == 0 { break }
            filled += got
        }
        bytes.removeLast(count - filled)
        return bytes
    }

    /// The CRC32C of the whole file, in base64 as Cloud Storage gives it (reads the file; blocks).
    func crc32c() throws(Refusal) -> String {
        var crc = CRC32C()
        var offset: Int64 = 0
        while true {
            let piece = try read(at: offset, count: 1 << 20)
            if piece.isEmpty { break }
            crc.update(piece)
            offset += Int64(piece.count)
        }
        return crc.base64
    }
}
