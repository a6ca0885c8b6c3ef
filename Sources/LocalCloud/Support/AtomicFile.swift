import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes files so that a crash leaves either the old or the new content, never a torn one.
enum AtomicFile {
    /// Writes `data` to a temporary sibling (`0600`), then renames it over `url`, creating parent folders (`0700`).
    static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = folder.appendingPathComponent(".localcloud-\(UUID().uuidString.lowercased()).tmp")
        // Plain write(2), no fsync: the rename protects against an emulator crash, which is what state
        // directories are for; Data.write's fsync made every job state change wait on the disk.
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LocalCloudError.io("create \(temporary.path)", errno) }
        let failed = writeAll(data, to: descriptor)
        close(descriptor)
        if let failed {
            try? FileManager.default.removeItem(at: temporary)
            throw LocalCloudError.io("write \(temporary.path)", failed)
        }
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw LocalCloudError.io("rename \(temporary.path) to \(url.path)", code)
        }
    }

    /// Writes all of `data` to an open file; the errno of a failure, or nil.
    static func writeAll(_ data: Data, to descriptor: Int32) -> Int32? {
        data.withUnsafeBytes { bytes -> Int32? in
            var written = 0
            while written < bytes.count {
                let result = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += result
            }
            return nil
        }
    }
}

/// Failures of the emulator itself (not API errors, which are answered over HTTP).
public enum LocalCloudError: Error, CustomStringConvertible, Sendable {
    /// A file operation failed; `errno` gives the reason.
    case io(String, Int32)
    /// The configuration cannot work; the message says what to change.
    case configuration(String)
    /// The fault specification could not be parsed; the message names the rule and the position.
    case faultSpec(String)
    /// A path would leave the state folder, or pass through a symbolic link; the message says which rule it broke.
    case unsafePath(String)

    public var description: String {
        switch self {
        case .io(let what, let code): return "LocalCloud could not \(what): \(String(cString: strerror(code)))"
        case .configuration(let message): return "LocalCloud configuration: \(message)"
        case .faultSpec(let message): return "LocalCloud --faults: \(message)"
        case .unsafePath(let message): return "LocalCloud refused a path: \(message)"
        }
    }
}
