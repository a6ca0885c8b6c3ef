/// A record that a template used a secret: its name and the SHA-256 of its value, never the value, so the ledger
/// can tell which secret (and which version of it) a run saw.
public struct SecretUse: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The name as the template wrote it, upper-cased (`GCP_SA`).
    public var name: String
    /// Lower-case hex SHA-256 of the UTF-8 value.
    public var sha256: String

    /// A record for `name` with the digest of `value`.
    init(name: String, value: String) {
        self.name = name.uppercased()
        self.sha256 = MerkleDamgard.hex(SHA256.digest(Array(value.utf8)))
    }

    /// A record from its stored fields.
    public init(name: String, sha256: String) {
        self.name = name
        self.sha256 = sha256
    }

    /// `secret NAME (sha256 …)`.
    public var description: String { "secret \(name) (sha256 \(sha256.prefix(12))…)" }
}
