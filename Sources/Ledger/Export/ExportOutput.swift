import Foundation

/// Where an export's bytes go: standard output, or a file that appears only once it is complete (written to
/// `FILE.partial-PID-RANDOM` and renamed on `finish`), so an interrupted export never leaves a truncated file
/// behind under the expected name. Writes are buffered; memory stays constant.
///
/// The temporary file gets a name no one can guess and is created with `O_CREAT | O_EXCL | O_NOFOLLOW`: a file
/// or symlink planted beside the output (in a shared folder) is never opened, followed or overwritten.
public final class ExportOutput {
    private let fd: Int32
    private let path: String?
    private let temporaryPath: String?
    private var buffer: [UInt8] = []
    private var finished = false

    /// Standard output.
    public static func standardOutput() -> ExportOutput {
        ExportOutput(fd: 1, path: nil, temporaryPath: nil)
    }

    /// A new file at `path` (replaced when complete, mode 0600: exports hold the same data as the ledger).
    public static func file(_ path: String) throws(ExportError) -> ExportOutput {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<8 {
            let random = String(generator.next(), radix: 16) + String(generator.next(), radix: 16)
            let temporary = path + ".partial-\(getpid())-\(random)"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 {
                return ExportOutput(fd: fd, path: path, temporaryPath: temporary)
            }
            // Only a name already taken is worth another draw; anything else (no folder, no permission) is final.
            if errno != EEXIST { break }
        }
        throw .cannotWrite(path: path, detail: String(cString: strerror(errno)))
    }

    private init(fd: Int32, path: String?, temporaryPath: String?) {
        self.fd = fd
        self.path = path
        self.temporaryPath = temporaryPath
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        if let temporaryPath, !finished {
            close(fd)
            unlink(temporaryPath)
        }
    }

    /// Where the bytes end up, for messages.
    public var destination: String { path ?? "standard output" }

    public func write(_ bytes: some Sequence<UInt8>) throws(ExportError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    public func write(_ text: String) throws(ExportError) {
        try write(text.utf8)
    }

    /// Writes `bytes` and a newline.
    public func writeLine(_ bytes: some Sequence<UInt8>) throws(ExportError) {
        try write(bytes)
        buffer.append(UInt8(ascii: "\n"))
    }

    public func flush() throws(ExportError) {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { raw in
                Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: destination, detail: String(cString: strerror(errno)))
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes; for a file, syncs it and moves it to its name.
    public func finish() throws(ExportError) {
        try flush()
        guard let path, let temporaryPath, !finished else { return }
        finished = true
        fsync(fd)
        close(fd)
        if rename(temporaryPath, path) != 0 {
            let detail = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .cannotWrite(path: path, detail: detail)
        }
    }
}
