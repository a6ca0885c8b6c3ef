/// A record that a template used a secret: its name, and a way to digest its value under a caller's key.
///
/// The value stays inside: it is never printed, reflected or encoded. The ledger keeps only the name and a keyed
/// digest (HMAC) of the value, which the engine computes through `digest(using:)`; a plain digest is never
/// made, since a dictionary of likely values (project ids, bucket names) would reveal it.
public struct SecretUse: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The name as the template wrote it, upper-cased (`GCP_SA`).
    public let name: String
    private let value: String

    /// A record for `name`, whose value is `value`.
    init(name: String, value: String) {
        self.name = name.uppercased()
        self.value = value
    }

    /// The digest `keyed` makes of the value's UTF-8 bytes (for the engine: HMAC-SHA256 under the ledger's key).
    public func digest<Digest>(using keyed: ([UInt8]) throws -> Digest) rethrows -> Digest {
        try keyed(Array(value.utf8))
    }

    /// `secret NAME`.
    public var description: String { "secret \(name)" }
    public var debugDescription: String { "SecretUse(\(name))" }
    public var customMirror: Mirror { Mirror(self, children: ["name": name]) }
}
