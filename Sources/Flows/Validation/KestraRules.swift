import Foundation

/// Kestra's id and name rules (`io.kestra.core.models` validation annotations).
enum KestraRules {
    /// Flow id: `^[a-zA-Z0-9][a-zA-Z0-9._-]*`, 1–100 characters.
    static func flowIDProblem(_ id: String) -> String? {
        if id.isEmpty || id.count > 100 { return "size must be between 1 and 100" }
        return matches(id, first: alnum, rest: { alnum($0) || "._-".contains($0) })
            ? nil : "must match \"^[a-zA-Z0-9][a-zA-Z0-9._-]*\""
    }

    /// Namespace: `^[a-z0-9][a-z0-9._-]*`, 1–150 characters, lowercase only.
    static func namespaceProblem(_ namespace: String) -> String? {
        if namespace.isEmpty || namespace.count > 150 { return "size must be between 1 and 150" }
        let lower: (Character) -> Bool = { $0.isASCII && ($0.isLowercase || $0.isNumber) }
        if matches(namespace, first: lower, rest: { lower($0) || "._-".contains($0) }) { return nil }
        if namespace.contains(where: { $0.isUppercase }) {
            return "must be lowercase (must match \"^[a-z0-9][a-z0-9._-]*\"): write '\(namespace.lowercased())'"
        }
        return "must match \"^[a-z0-9][a-z0-9._-]*\""
    }

    /// Task id: `^[a-zA-Z0-9][a-zA-Z0-9_-]*`, no dots.
    static func taskIDProblem(_ id: String) -> String? {
        if id.isEmpty { return "must not be empty" }
        if matches(id, first: alnum, rest: { alnum($0) || "_-".contains($0) }) { return nil }
        if id.contains(".") {
            return "must match \"^[a-zA-Z0-9][a-zA-Z0-9_-]*\" (task ids cannot contain dots): write "
                + "'\(id.replacingOccurrences(of: ".", with: "_"))'"
        }
        return "must match \"^[a-zA-Z0-9][a-zA-Z0-9_-]*\""
    }

    /// Input id: `^[a-zA-Z0-9][.a-zA-Z0-9_-]*`.
    static func inputIDProblem(_ id: String) -> String? {
        if id.isEmpty { return "must not be empty" }
        return matches(id, first: alnum, rest: { alnum($0) || "._-".contains($0) })
            ? nil : "must match \"^[a-zA-Z0-9][.a-zA-Z0-9_-]*\""
    }

    private static func alnum(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }

    private static func matches(_ text: String, first: (Character) -> Bool, rest: (Character) -> Bool) -> Bool {
        guard let head = text.first, first(head) else { return false }
        return text.dropFirst().allSatisfy(rest)
    }
}
