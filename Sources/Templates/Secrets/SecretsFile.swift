import Foundation

/// The parsed content of a `--secrets-file`: `NAME=value` lines, `#` comments, blank lines.
public struct SecretsFile: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Values by name, as written in the file (names upper-cased).
    public private(set) var entries: [String: String] = [:]

    /// Parses `contents`; `path` names the file in errors. A malformed line is an error naming the file and line,
    /// never showing the line (it may hold a secret).
    public init(contents: String, path: String) throws(SecretError) {
        var lineNumber = 0
        for rawLine in contents.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw .malformedLine(file: path, line: lineNumber, reason: "missing '='")
            }
            let name = trimmed[..<equals].trimmingCharacters(in: [" ", "\t"])
            guard !name.isEmpty else { throw .malformedLine(file: path, line: lineNumber, reason: "empty name") }
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") })
            else {
                throw .malformedLine(
                    file: path, line: lineNumber, reason: "the name may only hold letters, digits, '_', '-' and '.'")
            }
            entries[name.uppercased()] = String(trimmed[trimmed.index(after: equals)...])
        }
    }
}

extension SecretsFile {
    /// Reads and parses the file at `path` (UTF-8).
    public static func load(from path: String) throws(SecretError) -> SecretsFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let contents = String(data: data, encoding: .utf8) else {
            throw .unreadableFile(path: path, reason: "it is not UTF-8 text")
        }
        return try SecretsFile(contents: contents, path: path)
    }

    /// The names, never the values.
    public var description: String { "SecretsFile(\(entries.keys.sorted().joined(separator: ", ")))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["names": entries.keys.sorted()]) }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop(while: { set.contains($0) }).reversed().drop(while: { set.contains($0) }).reversed())
    }
}
