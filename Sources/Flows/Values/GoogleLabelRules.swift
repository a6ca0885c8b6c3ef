/// Google Cloud's rules for resource labels (the Batch job's labels): keys of 1 to 63 characters
/// starting with a lowercase letter, values of 0 to 63 characters, both made of lowercase letters,
/// digits, `_` and `-` (international lowercase letters are allowed), at most 64 labels, and no key
/// with Google's reserved `goog` prefix.
public enum GoogleLabelRules {
    /// The most labels a resource may carry.
    public static let maxLabels = 64
    /// Keys the runner sets itself (Kestra's `ScriptService.labels`), which a flow may not override.
    public static let runnerKeys: Set<String> = [
        "kestra-namespace", "kestra-flow-id", "kestra-task-id", "kestra-execution-id", "kestra-taskrun-id",
        "kestra-taskrun-attempt",
    ]

    private static func isAllowed(_ c: Character) -> Bool {
        if c == "_" || c == "-" { return true }
        if c.isASCII { return ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        return c.isLetter && c.isLowercase || c.isNumber || (c.isLetter && !c.isUppercase && !c.isLowercase)
    }

    /// Why `key` is not a valid label key, or nil when it is.
    public static func keyProblem(_ key: String) -> String? {
        if key.isEmpty || key.count > 63 { return "label keys must have 1 to 63 characters" }
        guard let first = key.first, first.isLetter, !first.isUppercase else {
            return "label keys must start with a lowercase letter"
        }
        if !key.allSatisfy(isAllowed) {
            return "label keys may contain only lowercase letters, digits, '_' and '-'"
        }
        if key.hasPrefix("goog") { return "label keys starting with 'goog' are reserved by Google" }
        if runnerKeys.contains(key) { return "label key '\(key)' is set by the runner itself" }
        return nil
    }

    /// Why `value` is not a valid label value, or nil when it is.
    public static func valueProblem(_ value: String) -> String? {
        if value.count > 63 { return "label values must have at most 63 characters" }
        if !value.allSatisfy(isAllowed) {
            return "label values may contain only lowercase letters, digits, '_' and '-'"
        }
        return nil
    }
}
