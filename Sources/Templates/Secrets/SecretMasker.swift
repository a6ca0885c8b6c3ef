/// Replaces every occurrence of known secret values in a text with Kestra's mask.
///
/// The mask of a value is `*` repeated to the value's length (in UTF-16 units, as Java counts), whose first run of
/// 9 stars becomes `**masked*`: a 12-character secret becomes `**masked****`, a 5-character one `*****`.
/// Longer secrets are matched first, and a position already masked is never matched again, so overlapping secrets
/// (`abc` and `abcdef`) cannot leave part of a value visible. Empty values are ignored.
public struct SecretMasker: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var secrets: [[UInt8]] = []

    /// A masker for `values`.
    public init(values: some Sequence<String> = [String]()) {
        add(values)
    }

    /// Adds more values to mask.
    public mutating func add(_ values: some Sequence<String>) {
        var set = Set(secrets)
        for value in values where !value.isEmpty { set.insert(Array(value.utf8)) }
        secrets = set.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
    }

    /// A masker for the values of both.
    public func merging(_ other: SecretMasker) -> SecretMasker {
        var merged = self
        var set = Set(secrets)
        set.formUnion(other.secrets)
        merged.secrets = set.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
        return merged
    }

    /// Whether there is nothing to mask.
    public var isEmpty: Bool { secrets.isEmpty }

    /// Kestra's mask for one value.
    public static func mask(for value: String) -> String {
        let stars = value.utf16.count
        guard stars >= 9 else { return String(repeating: "*", count: stars) }
        return "**masked*" + String(repeating: "*", count: stars - 9)
    }

    /// `text` with every secret value replaced by its mask.
    public func mask(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var covered = [Bool](repeating: false, count: bytes.count)
        var matchAt: [Int: Int] = [:]  // start → index in `secrets`
        for (secretIndex, secret) in secrets.enumerated() where secret.count <= bytes.count {
            let first = secret[0]
            var i = 0
            while i <= bytes.count - secret.count {
                if bytes[i] == first, !covered[i], matches(secret, in: bytes, at: i, covered: covered) {
                    for j in i..<(i + secret.count) { covered[j] = true }
                    matchAt[i] = secretIndex
                    i += secret.count
                } else {
                    i += 1
                }
            }
        }
        guard !matchAt.isEmpty else { return text }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if let secretIndex = matchAt[i] {
                let secret = secrets[secretIndex]
                out.append(contentsOf: Self.mask(for: String(decoding: secret, as: UTF8.self)).utf8)
                i += secret.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func matches(_ secret: [UInt8], in bytes: [UInt8], at start: Int, covered: [Bool]) -> Bool {
        for j in 0..<secret.count where bytes[start + j] != secret[j] || covered[start + j] { return false }
        return true
    }

    /// The number of values, never the values.
    public var description: String { "SecretMasker(\(secrets.count) secret\(secrets.count == 1 ? "" : "s"))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["count": secrets.count]) }
}
