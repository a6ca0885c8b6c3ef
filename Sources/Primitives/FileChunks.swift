import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file piece by piece through one reused 1 MiB buffer, for hashing files of any size in bounded memory.
public enum FileChunks {
    /// The size of each piece handed to `body` (the last may be shorter).
    public static let pieceSize = 1 << 20

    /// Hands every piece of the file at `url` to `body`, in order.
    ///
    /// - Throws: `FileReadError` when the file cannot be opened or read, or what `body` throws.
    public static func read(_ url: URL, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileReadError(path: url.path, step: "open", errno: errno) }
        defer { close(descriptor) }
        try read(descriptor: descriptor, path: url.path, body)
    }

    /// Hands every piece from the descriptor's current offset to its end to `body`; the descriptor stays open.
    /// `path` names the file in errors.
    public static func read(descriptor: Int32, path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        // One buffer, read into again and again (a new one per piece would fault its pages in each time).
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pieceSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = systemRead(descriptor, buffer.baseAddress!, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileReadError(path: path, step: "read", errno: errno)
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    private static func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
            Glibc.read(descriptor, buffer, count)
        #else
            Darwin.read(descriptor, buffer, count)
        #endif
    }
}

/// A file that could not be opened or read: which file, which step, the system's reason, and what to do.
public struct FileReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file's path.
    public var path: String
    /// `open` or `read`.
    public var step: String
    /// The `errno` the system answered.
    public var code: Int32

    public init(path: String, step: String, errno code: Int32) {
        self.path = path
        self.step = step
        self.code = code
    }

    /// The system's words for `code` ("Permission denied").
    public var reason: String { String(cString: strerror(code)) }

    public var description: String {
        "cannot \(step) \(path): \(reason); check that the file exists and that this user may read it"
    }
}
