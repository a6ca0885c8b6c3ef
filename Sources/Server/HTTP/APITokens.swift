import Foundation

/// The bearer tokens a server accepts, by name: read from a token file of `name:token` lines (blank lines and
/// lines starting with `#` ignored). A token is compared in constant time; the name of the one that matches is
/// who asked.
public struct APITokens: Sendable {
    private let tokens: [(name: String, token: [UInt8])]

    /// Why a token file cannot be used, with its line.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// Reads `path`. Refuses a file with no token, a line without `name:token`, an empty name or token, a name
    /// given twice or a token shorter than 16 characters (easy to guess).
    public init(file path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Problem(description: "cannot read the token file \(path): \(error.localizedDescription)")
        }
        try self.init(text: text, file: path)
    }

    public init(text: String, file: String) throws {
        var tokens: [(String, [UInt8])] = []
        var names: Set<String> = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") { continue }
            let place = "\(file):\(index + 1)"
            guard let colon = line.firstIndex(of: ":") else {
                throw Problem(description: "\(place): expected name:token (the token itself is not shown)")
            }
            let name = String(line[..<colon])
            let token = String(line[line.index(after: colon)...])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
                throw Problem(description: "\(place): the name must be letters, digits, '.', '_', '-' or '@'")
            }
            guard token.count >= 16 else {
                throw Problem(description: "\(place): the token of \(name) is shorter than 16 characters")
            }
            guard names.insert(name).inserted else {
                throw Problem(description: "\(place): \(name) is given twice")
            }
            tokens.append((name, Array(token.utf8)))
        }
        guard !tokens.isEmpty else { throw Problem(description: "\(file): no name:token line") }
        self.tokens = tokens
    }

    /// The name of the token in `authorization` (`Bearer TOKEN`), or nil.
    public func caller(_ authorization: String?) -> String? {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return nil }
        let offered = Array(authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces).utf8)
        var found: String?
        for (name, token) in tokens where Self.equal(token, offered) && found == nil {
            found = name
        }
        return found
    }

    /// Compares without stopping at the first difference.
    private static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
