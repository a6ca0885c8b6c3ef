import COpenSSL
import Foundation
import Primitives

/// A ledger's key for digests of secret values: HMAC-SHA256 under 32 random bytes that live in the ledger file
/// itself (table `ledger_keys`), so a copy of the file checks its own digests, while a dictionary of likely values
/// (project ids, bucket names) hashed without the key matches nothing. Never printed, reflected or encoded.
public struct SecretDigestKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The key's length in bytes.
    public static let length = 32

    private let bytes: [UInt8]

    /// A key of exactly `length` bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.length else { return nil }
        self.bytes = bytes
    }

    /// A new key from the system's cryptographic random source.
    static func random() -> SecretDigestKey {
        var generator = SystemRandomNumberGenerator()
        return SecretDigestKey(bytes: (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) })!
    }

    /// HMAC-SHA256 of `message` under this key, as 64 lower-case hex characters.
    public func hmacSHA256(_ message: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var written = 0
        let result = bytes.withUnsafeBufferPointer { key in
            message.withUnsafeBufferPointer { data in
                out.withUnsafeMutableBufferPointer { target in
                    EVP_Q_mac(
                        nil, "HMAC", nil, "SHA256", nil, key.baseAddress, key.count, data.baseAddress, data.count,
                        target.baseAddress, target.count, &written)
                }
            }
        }
        // EVP_Q_mac fails only when libcrypto lacks HMAC or SHA-256, which no usable OpenSSL does.
        precondition(result != nil && written == 32, "libcrypto could not compute HMAC-SHA256")
        return out.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// The length only, never the bytes.
    public var description: String { "SecretDigestKey(\(Self.length) bytes)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

extension EventStore {
    /// The name of the secret-digest key in `ledger_keys`.
    static let secretDigestKeyName = "secret-digest"

    /// The ledger's key for digests of secret values, created (32 random bytes, inside a write transaction, so
    /// two processes that ask at once end up with the same key) the first time anyone asks for it.
    public func secretDigestKey() throws(LedgerError) -> SecretDigestKey {
        if let known = knownSecretDigestKey.withLock({ $0 }) { return known }
        let key = options.readOnly ? try readOnlySecretDigestKey() : try readOrCreateSecretDigestKey()
        knownSecretDigestKey.withLock { $0 = key }
        return key
    }

    /// The stored key, read without the writer when it exists; created in a write transaction otherwise.
    private func readOrCreateSecretDigestKey() throws(LedgerError) -> SecretDigestKey {
        if options.record != nil {
            let name = Self.secretDigestKeyName
            return try recordWrite(.ledgerKey(name: name, candidate: SecretDigestKey.random().withBytes { $0 })) {
                (outcome) throws(LedgerError) -> SecretDigestKey in
                guard case .key(let bytes) = outcome, let key = SecretDigestKey(bytes: bytes) else {
                    throw .corrupted(path: name, detail: "the ledger of record's secret-digest key is not 32 bytes")
                }
                return key
            }
        }
        if let stored = try storedKeyWithoutWriting() { return stored }
        return try withWriter { (connection) throws(LedgerError) -> SecretDigestKey in
            try connection.immediateTransaction { () throws(LedgerError) -> SecretDigestKey in
                if let key = try Self.storedKey(connection) { return key }
                let insert = try connection.statement(
                    "INSERT INTO ledger_keys(name, key, created_at) VALUES (?, ?, ?)")
                let key = SecretDigestKey.random()
                insert.bind(1, Self.secretDigestKeyName)
                key.withBytes { insert.bind(2, $0) }
                insert.bind(3, Timestamp.rfc3339(options.clock()))
                try insert.step()
                return key
            }
        }
    }

    private func readOnlySecretDigestKey() throws(LedgerError) -> SecretDigestKey {
        let found: SecretDigestKey?
        if let record = options.record {
            let stored = try record.ledgerKeys().first { $0.name == Self.secretDigestKeyName }
            found = stored.flatMap { SecretDigestKey(bytes: $0.bytes) }
        } else {
            found = try storedKeyWithoutWriting()
        }
        guard let found else {
            throw .readOnly(
                path: path,
                detail: "the ledger has no secret-digest key yet and was opened read-only; open it for writing once")
        }
        return found
    }

    /// The key stored in the file, read without the writer; nil when it has none (or no `ledger_keys` table).
    private func storedKeyWithoutWriting() throws(LedgerError) -> SecretDigestKey? {
        do {
            return try withReader { connection in try Self.storedKey(connection) }
        } catch let error as LedgerError {
            // A ledger from before keys existed has no `ledger_keys` table: it has no key either.
            // Any other failure (busy, corrupt) is reported as it is, never taken for "no key".
            if case .sqlite(_, _, let message, _) = error, message.contains("no such table") {
                return nil
            }
            throw error
        } catch {
            throw .invalidArgument("\(error)")
        }
    }

    private static func storedKey(_ connection: Connection) throws(LedgerError) -> SecretDigestKey? {
        let query = try connection.statement("SELECT key FROM ledger_keys WHERE name = ?")
        query.bind(1, secretDigestKeyName)
        defer { query.reset() }
        guard try query.step() else { return nil }
        guard let key = SecretDigestKey(bytes: [UInt8](query.data(0))) else {
            throw .corrupted(
                path: connection.path,
                detail: "the secret-digest key in ledger_keys is not \(SecretDigestKey.length) bytes long")
        }
        return key
    }
}

extension SecretDigestKey {
    fileprivate func withBytes<T>(_ body: ([UInt8]) throws -> T) rethrows -> T {
        try body(bytes)
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
