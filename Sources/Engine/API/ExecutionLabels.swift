import Foundation

/// The rules an execution's label meets, whoever gives it (`run --label`, a server's `labels=key:value`): a key of
/// 1 to 100 characters, a value of at most 1,000, neither with control characters, and no key under Kestra's
/// reserved `system.` prefix. A label names and finds executions (`executions --label`, `audit --label`); these
/// rules keep it one line of text wherever it is shown.
public enum ExecutionLabels {
    /// The longest key and value accepted.
    public static let maximumKey = 100
    public static let maximumValue = 1_000

    /// Why `key` = `value` cannot be a label, or nil when it can.
    public static func problem(key: String, value: String) -> String? {
        if key.isEmpty || key.count > maximumKey { return "a label key has 1 to \(maximumKey) characters" }
        if value.count > maximumValue { return "a label value has at most \(maximumValue) characters" }
        let control = { (text: String) in
            text.unicodeScalars.contains {
                $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}"
            }
        }
        if control(key) || control(value) { return "a label has no control characters (line breaks, tabs, NUL …)" }
        if key != key.trimmingCharacters(in: .whitespaces) {
            return "a label key does not start or end with a space"
        }
        if key.lowercased().hasPrefix("system.") {
            return "label keys starting with 'system.' are reserved for Kestra's own labels"
        }
        return nil
    }

    /// Whether `labels` has every `key` = `value` of `wanted`.
    public static func matches(_ labels: [String: String]?, _ wanted: [String: String]) -> Bool {
        wanted.allSatisfy { labels?[$0.key] == $0.value }
    }
}
