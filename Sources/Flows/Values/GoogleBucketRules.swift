/// Cloud Storage's rules for bucket names: 3 to 63 characters of lowercase letters, digits, `-`, `_` and `.`
/// (up to 222 with dots, each dot-separated part at most 63), starting and ending with a letter or digit; not an
/// IP address; not starting with `goog` nor containing `google`.
public enum GoogleBucketRules {
    /// Why `name` is not a valid bucket name, or nil when it is.
    public static func problem(_ name: String) -> String? {
        if name.hasPrefix("gs://") {
            return "write the bucket's name without 'gs://' (the runner adds it)"
        }
        if name.contains("/") {
            return "a bucket name has no '/': give only the bucket (the runner keeps each task in a folder of its own)"
        }
        if name.contains(where: { $0.isUppercase }) {
            return "bucket names are lowercase: write '\(name.lowercased())'"
        }
        let alphanumeric: (Character) -> Bool = { $0.isASCII && ($0.isLowercase || $0.isNumber) }
        let allowed: (Character) -> Bool = { alphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." }
        guard name.allSatisfy(allowed) else {
            return "bucket names may contain only lowercase letters, digits, '-', '_' and '.'"
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if name.count < 3 || name.count > 222 || (!name.contains(".") && name.count > 63)
            || parts.contains(where: { $0.count > 63 })
        {
            return "bucket names have 3 to 63 characters (up to 222 with dots, at most 63 between two dots)"
        }
        guard let first = name.first, alphanumeric(first), let last = name.last, alphanumeric(last) else {
            return "bucket names start and end with a letter or a digit"
        }
        if parts.contains(where: { $0.isEmpty }) { return "bucket names cannot contain '..'" }
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            return "a bucket name cannot be an IP address"
        }
        if name.hasPrefix("goog") || name.contains("google") {
            return "bucket names cannot start with 'goog' nor contain 'google'"
        }
        return nil
    }
}
