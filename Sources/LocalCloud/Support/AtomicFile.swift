import Foundation

/// Writes files so that a crash leaves either the old or the new content, never a torn one.
enum AtomicFile {
    /// Writes `data` to a temporary sibling, then renames it over `url`, creating parent folders.
    static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        try data.write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw LocalCloudError.io("rename \(temporary.path) to \(url.path)", code)
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

    public var description: String {
        switch self {
        case .io(let what, let code): return "LocalCloud could not \(what): \(String(cString: strerror(code)))"
        case .configuration(let message): return "LocalCloud configuration: \(message)"
        case .faultSpec(let message): return "LocalCloud --faults: \(message)"
        }
    }
}
