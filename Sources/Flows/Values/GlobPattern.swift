import Foundation

/// A path pattern as Kestra matches `outputFiles` and `namespaceFiles` globs, with Java NIO's glob
/// rules (`FileSystem.getPathMatcher("glob:…")`): `*` matches within one path segment, `**` across
/// segments, `?` one character other than `/`, `[abc]`, `[a-z]` and `[!abc]` one character, `{a,b}`
/// either alternative (no nesting), and `\` escapes the next character.
///
/// Patterns are matched against paths relative to the working directory (or the namespace folder),
/// which is what Kestra's `glob:<workingDir>/<pattern>` amounts to. A `glob:` prefix is accepted; a
/// `regex:` prefix takes the rest as a regular expression over the relative path.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    /// Why a pattern could not be read.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, e.g. `missing ']'`.
        public var reason: String
        /// A description of the error.
        public var description: String { reason }
    }

    /// The pattern as written.
    public let pattern: String
    /// The equivalent anchored regular expression.
    public let regularExpression: String

    /// Reads a pattern; throws when it is malformed (an unclosed `[` or `{`, a nested `{`, a trailing `\`).
    public init(_ pattern: String) throws(SyntaxError) {
        self.pattern = pattern
        if pattern.hasPrefix("regex:") {
            let body = String(pattern.dropFirst(6))
            guard (try? NSRegularExpression(pattern: body)) != nil else {
                throw SyntaxError(reason: "invalid regular expression")
            }
            regularExpression = "^(?:" + body + ")$"
            return
        }
        let body = pattern.hasPrefix("glob:") ? String(pattern.dropFirst(5)) : pattern
        regularExpression = "^" + (try Self.translate(body)) + "$"
    }

    /// The pattern as written.
    public var description: String { pattern }

    /// Whether `relativePath` (segments separated by `/`) matches the pattern.
    public func matches(_ relativePath: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: regularExpression, options: [.dotMatchesLineSeparators])
        else { return false }
        let range = NSRange(relativePath.startIndex..<relativePath.endIndex, in: relativePath)
        return regex.firstMatch(in: relativePath, options: [], range: range) != nil
    }

    private static func translate(_ glob: String) throws(SyntaxError) -> String {
        let chars = Array(glob)
        var regex = ""
        var i = 0
        var inGroup = false
        func literal(_ c: Character) -> String { NSRegularExpression.escapedPattern(for: String(c)) }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "\\":
                guard i + 1 < chars.count else { throw SyntaxError(reason: "'\\' at the end of the pattern") }
                regex += literal(chars[i + 1])
                i += 2
                continue
            case "*":
                if i + 1 < chars.count, chars[i + 1] == "*" {
                    regex += ".*"
                    i += 2
                    continue
                }
                regex += "[^/]*"
            case "?":
                regex += "[^/]"
            case "[":
                var j = i + 1
                var cls = "["
                if j < chars.count, chars[j] == "!" || chars[j] == "^" {
                    cls += "^/"
                    j += 1
                }
                var closed = false
                var first = true
                while j < chars.count {
                    let d = chars[j]
                    if d == "]", !first {
                        closed = true
                        break
                    }
                    if d == "/" { throw SyntaxError(reason: "'/' inside '[…]'") }
                    if d == "\\" || d == "[" || d == "&" || d == "^" {
                        cls += "\\" + String(d)
                    } else {
                        cls.append(d)
                    }
                    first = false
                    j += 1
                }
                guard closed else { throw SyntaxError(reason: "missing ']'") }
                regex += cls + "]"
                i = j + 1
                continue
            case "{":
                if inGroup { throw SyntaxError(reason: "'{' groups cannot be nested") }
                inGroup = true
                regex += "(?:"
            case "}" where inGroup:
                inGroup = false
                regex += ")"
            case "," where inGroup:
                regex += "|"
            default:
                regex += literal(c)
            }
            i += 1
        }
        if inGroup { throw SyntaxError(reason: "missing '}'") }
        return regex
    }
}
