import Flows
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The namespace folder: the files a flow may stage (`namespaceFiles`) and read (`read(path)`). Nothing outside
/// it is ever read through it: a path with `..` or an absolute path is refused, and so is a symbolic link (or a
/// link in a folder on the way) that resolves outside the folder.
enum NamespaceFolder {
    /// The folder's regular files, by path relative to it. Entries that resolve outside the folder (symbolic
    /// links to elsewhere) are left out.
    static func list(_ folder: URL?) throws -> [String: URL] {
        guard let folder else { return [:] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw FlowProblems(["--namespace-files \(folder.path): no such folder"])
        }
        guard let root = resolved(folder.path) else { return [:] }
        var files: [String: URL] = [:]
        let base = folder.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        else {
            return [:]
        }
        for case let url as URL in walker {
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(base + "/"), let real = resolved(path), isInside(real, root),
                isRegularFile(real)
            else { continue }
            files[String(path.dropFirst(base.count + 1))] = URL(fileURLWithPath: real)
        }
        return files
    }

    /// `read(path)` over `folder`: the file's text, or a `NamespaceFileRefusal` that says why not.
    static func reader(_ folder: URL) -> @Sendable (String) throws -> String {
        { path in try read(path, in: folder) }
    }

    static func read(_ path: String, in folder: URL) throws -> String {
        if let problem = problem(path) { throw NamespaceFileRefusal(problem) }
        guard let root = resolved(folder.path) else {
            throw NamespaceFileRefusal("the namespace folder \(folder.path) does not exist")
        }
        let named = folder.appendingPathComponent(path).path
        guard let real = resolved(named) else {
            throw NamespaceFileRefusal("no such file in the namespace folder \(folder.path)")
        }
        guard isInside(real, root) else {
            throw NamespaceFileRefusal(
                "it resolves to \(real) through a symbolic link, outside the namespace folder \(root): "
                    + "copy the file into the folder instead of linking to it")
        }
        // The resolved path has no links left; O_NOFOLLOW keeps it so if one is planted in between.
        let descriptor = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw NamespaceFileRefusal("cannot open \(real): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw NamespaceFileRefusal("\(real) is not a regular file")
        }
        let data = try handle.readToEnd() ?? Data()
        guard let text = String(data: data, encoding: .utf8) else {
            throw NamespaceFileRefusal("\(real) is not UTF-8 text")
        }
        return text
    }

    /// Why `path` cannot name a file inside the namespace folder, before anything is resolved.
    static func problem(_ path: String) -> String? {
        if path.isEmpty { return "the path is empty" }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "the path contains a control character"
        }
        if path.hasPrefix("/") || path.hasPrefix("\\") || path.hasPrefix("~") {
            return "the path is absolute: give a path relative to the namespace folder"
        }
        if path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).contains(where: { $0 == ".." }) {
            return "the path contains '..': read() reads only files inside the namespace folder"
        }
        return nil
    }

    private static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    private static func isInside(_ path: String, _ root: String) -> Bool {
        root == "/" ? path.hasPrefix("/") && path != "/" : path.hasPrefix(root + "/")
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }
}

/// Why `read(path)` refused a namespace file.
struct NamespaceFileRefusal: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
