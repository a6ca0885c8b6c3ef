import Foundation

/// A request's query string, decoded. Keys are percent-decoded, so `%24alt` is `$alt`.
struct Query: Sendable {
    private(set) var items: [(String, String)] = []

    init(_ raw: String?) {
        guard let raw, !raw.isEmpty else { return }
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(String(parts[0]), plusIsSpace: true)
            let value = parts.count > 1 ? Self.decode(String(parts[1]), plusIsSpace: true) : ""
            items.append((key, value))
        }
    }

    subscript(key: String) -> String? { items.first(where: { $0.0 == key })?.1 }

    /// `$alt=json;enum-encoding=int`: the gapic REST clients want enums as integers.
    var wantsIntegerEnums: Bool { self["$alt"]?.contains("enum-encoding=int") ?? false }

    /// Percent-decodes a URL component (`%2F` → `/`), optionally `+` → space (form and query encoding).
    static func decode(_ text: String, plusIsSpace: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == 37, iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else if byte == 43, plusIsSpace {
                bytes.append(32)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-encodes an object name for a URL path segment (everything but unreserved characters).
    static func encodeSegment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
