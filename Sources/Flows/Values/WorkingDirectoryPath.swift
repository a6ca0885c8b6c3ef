import Foundation

/// The rule for paths a flow names inside the task's working directory (`inputFiles` names,
/// `outputFiles` patterns, `namespaceFiles` globs): relative, without `..`, so a flow never reads or
/// writes outside the working directory.
public enum WorkingDirectoryPath {
    /// Why `path` could leave the working directory, or nil when it stays inside.
    ///
    /// Templates are not rendered; the written text is checked, and a path that starts with
    /// `{{ workingDir }}` is refused because the name is already relative to it.
    public static func problem(_ path: String) -> String? {
        var body = Substring(path)
        if body.hasPrefix("glob:") {
            body = body.dropFirst(5)
        } else if body.hasPrefix("regex:") {
            body = body.dropFirst(6)
        }
        let compact = body.replacingOccurrences(of: " ", with: "")
        if compact.hasPrefix("{{workingDir}}") || compact.hasPrefix("{{outputDir}}") {
            return "is already relative to the working directory: remove the leading '{{ workingDir }}/'"
        }
        if body.isEmpty { return "is empty" }
        if body.hasPrefix("/") || body.hasPrefix("\\") || body.hasPrefix("~") {
            return "is absolute: write a path relative to the working directory"
        }
        if body.count >= 2, body.dropFirst().first == ":", body.first?.isLetter == true {
            return "is absolute: write a path relative to the working directory"
        }
        let components = body.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        if components.contains(where: { $0 == ".." }) {
            return "contains '..': a flow may not read or write outside its working directory"
        }
        if body.contains("\0") { return "contains a NUL character" }
        return nil
    }
}
