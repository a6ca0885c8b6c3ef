import Foundation

/// The secrets `secret(name)` can return, following Kestra's open-source convention.
///
/// - Environment: every variable `SECRET_<NAME>` holds a Base64 value (line breaks are ignored). It is decoded
///   when it is looked up, not when the store is built, so a broken `SECRET_` variable that no flow uses harms
///   nothing.
/// - Secrets file (`--secrets-file`): `NAME=value` lines with plain values; blank lines and lines starting with `#`
///   are ignored. The value is everything after the first `=`, kept as written (only a trailing `\r` is dropped).
///
/// Names are case-insensitive: both sources are stored, and looked up, upper-cased. When a name is in both, the
/// **file wins**: it was named explicitly on the command line, the environment may be inherited.
public struct SecretStore: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var encoded: [String: String] = [:]
    private var plain: [String: String] = [:]

    /// An empty store.
    public init() {}

    /// A store over the `SECRET_` variables of `environment` and the `NAME=value` entries of `file`.
    public init(environment: [String: String], file: SecretsFile? = nil) {
        for (key, value) in environment where key.hasPrefix("SECRET_") && key.count > "SECRET_".count {
            encoded[String(key.dropFirst("SECRET_".count)).uppercased()] = value
        }
        for (key, value) in file?.entries ?? [:] { plain[key.uppercased()] = value }
    }

    /// The names of the secrets this store can resolve (upper-cased, sorted), for diagnostics.
    public var names: [String] { Set(encoded.keys).union(plain.keys).sorted() }

    /// The value of secret `name` (looked up upper-cased).
    public func value(of name: String) throws(SecretError) -> String {
        let key = name.uppercased()
        if let value = plain[key] { return value }
        guard let raw = encoded[key] else { throw .notDefined(name: name) }
        var compact = raw.filter { $0 != "\n" && $0 != "\r" && $0 != "\r\n" }
        // Java's decoder accepts missing padding; Foundation's does not.
        let remainder = compact.utf8.count % 4
        if remainder == 2 || remainder == 3 { compact += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: compact) else {
            throw .invalidBase64(name: name, variable: "SECRET_\(key)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The secret names, never the values.
    public var description: String { "SecretStore(\(names.joined(separator: ", ")))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["names": names]) }
}
