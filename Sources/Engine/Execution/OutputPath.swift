import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a job's output object may land on this machine. An object's name comes from whatever ran in the job,
/// and Cloud Storage takes any name (`<wid>/../../x`, `a//b`, control characters), so the part after the
/// working-directory prefix is checked before it becomes a local path, and the folders leading to the file are
/// created one at a time under the task run's folder, refusing any that is a symbolic link or not a folder.
public enum OutputPath {
    /// The longest path component most file systems take (bytes).
    static let maxComponentBytes = 255

    /// Why `relative` (an object name without its working-directory prefix) cannot be a file under the task
    /// run's folder, or nil when it can.
    public static func problem(_ relative: String) -> String? {
        if relative.isEmpty { return "the name is empty" }
        if relative.hasPrefix("/") { return "the name is absolute (it starts with '/')" }
        if relative.contains("\\") { return "the name contains a backslash" }
        if let scalar = relative.unicodeScalars.first(where: isControl) {
            return "the name contains the control character U+\(String(format: "%04X", scalar.value))"
        }
        for segment in relative.split(separator: "/", omittingEmptySubsequences: false) {
            switch segment {
            case "": return "the name has an empty path segment ('//' or a trailing '/')"
            case ".": return "the name has a '.' segment"
            case "..": return "the name has a '..' segment, which would leave the output folder"
            default:
                if segment.utf8.count > maxComponentBytes {
                    return "a segment of the name is longer than \(maxComponentBytes) bytes"
                }
            }
        }
        return nil
    }

    /// The local file for `relative` under `folder` (the task run's output folder), with every folder between
    /// them created. Throws `OutputPathRefusal` when the name is not acceptable (`problem`), when a component
    /// below `folder` already exists as a symbolic link or as something other than a folder, or when the
    /// resolved destination is not inside `folder`.
    public static func destination(for relative: String, in folder: URL) throws -> URL {
        if let problem = problem(relative) { throw OutputPathRefusal(reason: problem) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let root = try resolved(folder.path)
        var current = root
        let segments = relative.split(separator: "/").map(String.init)
        for segment in segments.dropLast() {
            current += "/" + segment
            try ensureFolder(current, shown: shown(current, under: root))
        }
        let file = current + "/" + segments.last!
        var status = stat()
        if lstat(file, &status) == 0 {
            switch status.st_mode & S_IFMT {
            case S_IFLNK:
                throw OutputPathRefusal(reason: "\(shown(file, under: root)) already exists as a symbolic link")
            case S_IFREG:
                break  // a file from an earlier, unrecorded download of the same object: replaced
            default:
                throw OutputPathRefusal(reason: "\(shown(file, under: root)) already exists and is not a file")
            }
        }
        // The folders were checked one by one; the resolved parent must still be the folder built here.
        let parent = try resolved(String(file[..<file.lastIndex(of: "/")!]))
        guard parent == current, parent == root || parent.hasPrefix(root + "/") else {
            throw OutputPathRefusal(reason: "the destination resolves to \(parent), outside \(root)")
        }
        // The path as the caller named the folder (its own symbolic links above the folder are the user's).
        return folder.appendingPathComponent(relative)
    }

    /// The name of a task run's output folder under the execution's output directory: the task run id with a
    /// ForEach value's brackets turned into `_` (`t[a]` → `t_a`), as in the run's `kestra:///` URIs.
    public static func folderName(forTaskRun taskRunId: String) -> String {
        taskRunId.replacingOccurrences(of: "[", with: "_").replacingOccurrences(of: "]", with: "")
    }

    /// An object name as a message shows it (see `MessageQuote`).
    public static func quoted(_ name: String) -> String { MessageQuote.quoted(name) }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Creates `path` as a folder, or accepts an existing folder; refuses a symbolic link or anything else.
    private static func ensureFolder(_ path: String, shown: String) throws {
        var status = stat()
        if lstat(path, &status) != 0 {
            guard errno == ENOENT else {
                throw OutputPathRefusal(reason: "\(shown): \(String(cString: strerror(errno)))")
            }
            if mkdir(path, 0o755) == 0 { return }
            guard errno == EEXIST, lstat(path, &status) == 0 else {
                throw OutputPathRefusal(reason: "cannot create folder \(shown): \(String(cString: strerror(errno)))")
            }
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return
        case S_IFLNK: throw OutputPathRefusal(reason: "\(shown) already exists as a symbolic link")
        default: throw OutputPathRefusal(reason: "\(shown) already exists and is not a folder")
        }
    }

    private static func resolved(_ path: String) throws -> String {
        guard let real = realpath(path, nil) else {
            throw OutputPathRefusal(reason: "cannot resolve \(path): \(String(cString: strerror(errno)))")
        }
        defer { free(real) }
        return String(cString: real)
    }

    private static func shown(_ path: String, under root: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }
}

/// An output object that is not written locally, and why.
public struct OutputPathRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
