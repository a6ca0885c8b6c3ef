/// Replaces every occurrence of known secret values in a text with Kestra's mask.
///
/// The mask of a value is `*` repeated to the value's length (in UTF-16 units, as Java counts), whose first run of
/// 9 stars becomes `**masked*`: a 12-character secret becomes `**masked****`, a 5-character one `*****`.
/// Longer secrets are matched first, and a position already masked is never matched again, so overlapping secrets
/// (`abc` and `abcdef`) cannot leave part of a value visible. Empty values are ignored.
///
/// Besides each value as it is, the masker looks for the forms in which a job may print it (`SecretForms`): the
/// value escaped inside JSON text, and each line of a multi-line value. `matches(number:)` tells whether a JSON
/// number is a secret, for outputs whose values are not text.
public struct SecretMasker: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The values as given.
    private var values: Set<String> = []
    /// The byte patterns looked for, longest first: every value and its other forms.
    private var patterns: [[UInt8]] = []
    /// The numbers some value spells (`12345`, `1e3`), for JSON numbers.
    private var numbers: Set<Double> = []

    /// A masker for `values`.
    public init(values: some Sequence<String> = [String]()) {
        add(values)
    }

    /// Adds more values to mask.
    public mutating func add(_ values: some Sequence<String>) {
        let before = self.values.count
        for value in values where !value.isEmpty { self.values.insert(value) }
        if self.values.count != before { rebuild() }
    }

    /// A masker for the values of both.
    public func merging(_ other: SecretMasker) -> SecretMasker {
        var merged = self
        merged.add(other.values)
        return merged
    }

    private mutating func rebuild() {
        var set: Set<[UInt8]> = []
        numbers = []
        for value in values {
            for form in SecretForms.forms(of: value) { set.insert(Array(form.utf8)) }
            if let number = SecretForms.number(value) { numbers.insert(number) }
        }
        patterns = set.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
    }

    /// Whether there is nothing to mask.
    public var isEmpty: Bool { values.isEmpty }

    /// Whether a JSON number equals a secret value read as a number (a secret `12345` and an output `12345`), so
    /// that a caller stores the mask instead of the number.
    public func matches(number: Double) -> Bool {
        number.isFinite && numbers.contains(number)
    }

    /// Kestra's mask for one value.
    public static func mask(for value: String) -> String {
        let stars = value.utf16.count
        guard stars >= 9 else { return String(repeating: "*", count: stars) }
        return "**masked*" + String(repeating: "*", count: stars - 9)
    }

    /// `text` with every secret value (in every form the masker knows) replaced by its mask.
    public func mask(_ text: String) -> String {
        guard !patterns.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var covered = [Bool](repeating: false, count: bytes.count)
        var matchAt: [Int: Int] = [:]  // start → index in `patterns`
        for (patternIndex, pattern) in patterns.enumerated() where pattern.count <= bytes.count {
            let first = pattern[0]
            var i = 0
            while i <= bytes.count - pattern.count {
                if bytes[i] == first, !covered[i], matches(pattern, in: bytes, at: i, covered: covered) {
                    for j in i..<(i + pattern.count) { covered[j] = true }
                    matchAt[i] = patternIndex
                    i += pattern.count
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
            if let patternIndex = matchAt[i] {
                let pattern = patterns[patternIndex]
                out.append(contentsOf: Self.mask(for: String(decoding: pattern, as: UTF8.self)).utf8)
                i += pattern.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func matches(_ pattern: [UInt8], in bytes: [UInt8], at start: Int, covered: [Bool]) -> Bool {
        for j in 0..<pattern.count where bytes[start + j] != pattern[j] || covered[start + j] { return false }
        return true
    }

    /// The number of values, never the values.
    public var description: String { "SecretMasker(\(values.count) secret\(values.count == 1 ? "" : "s"))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["count": values.count]) }
}
