import Foundation
import Testing

@testable import Ledger

/// The per-ledger key of secret digests: created once inside the ledger file, kept with it, never changed.
struct SecretDigestKeyTests {
    @Test("HMAC-SHA256 under the key matches the standard construction")
    func hmacMatchesTheStandard() throws {
        let key = try #require(SecretDigestKey(bytes: Array(0..<32)))
        // python3 -c "import hmac,hashlib; print(hmac.new(bytes(range(32)), b'abc', hashlib.sha256).hexdigest())"
        #expect(key.hmacSHA256(Array("abc".utf8)) == "f0133729c4163dede81e21cd47839256da58171238c8a0d874397c73b14e1e47")
        #expect(SecretDigestKey(bytes: Array(0..<31)) == nil)
        #expect("\(key)" == "SecretDigestKey(32 bytes)")
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains("31"), "\(dumped)")
    }

    @Test("the key is created on first use, stays the same after reopening, and differs between ledgers")
    func oneKeyPerLedger() throws {
        let folder = try TemporaryFolder()
        let first = try EventStore(path: folder.path("one.ledger"))
        #expect(rawInteger(first.path, "SELECT count(*) FROM ledger_keys") == 0)
        let key = try first.secretDigestKey()
        #expect(rawInteger(first.path, "SELECT count(*) FROM ledger_keys") == 1)
        #expect(rawInteger(first.path, "SELECT length(key) FROM ledger_keys") == 32)
        let message = Array("my-gcp-project".utf8)
        #expect(try first.secretDigestKey().hmacSHA256(message) == key.hmacSHA256(message))
        let reopened = try EventStore(path: first.path)
        #expect(try reopened.secretDigestKey().hmacSHA256(message) == key.hmacSHA256(message))
        let readOnly = try EventStore(path: first.path, options: .init(readOnly: true))
        #expect(try readOnly.secretDigestKey().hmacSHA256(message) == key.hmacSHA256(message))

        let second = try EventStore(path: folder.path("two.ledger"))
        #expect(try second.secretDigestKey().hmacSHA256(message) != key.hmacSHA256(message))
    }

    @Test("a copied ledger file carries its key")
    func copiedLedgerKeepsItsKey() throws {
        let folder = try TemporaryFolder()
        let original = try EventStore(path: folder.path("original.ledger"))
        try original.append([try event("Step")], to: "a")
        let digest = try original.secretDigestKey().hmacSHA256(Array("bucket".utf8))
        #expect(rawSQL(original.path, "PRAGMA wal_checkpoint(TRUNCATE)") == nil)
        try FileManager.default.copyItem(atPath: original.path, toPath: folder.path("copy.ledger"))
        let copy = try EventStore(path: folder.path("copy.ledger"))
        #expect(try copy.secretDigestKey().hmacSHA256(Array("bucket".utf8)) == digest)
    }

    @Test("the key row cannot be changed or removed, and a read-only ledger without a key says so")
    func keyIsImmutable() throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("k.ledger"))
        let readOnly = try EventStore(path: store.path, options: .init(readOnly: true))
        #expect(throws: LedgerError.self) { try readOnly.secretDigestKey() }
        _ = try store.secretDigestKey()
        #expect(rawSQL(store.path, "UPDATE ledger_keys SET key = zeroblob(32)")?.contains("immutable") == true)
        #expect(rawSQL(store.path, "DELETE FROM ledger_keys")?.contains("immutable") == true)
        #expect(rawSQL(store.path, "INSERT INTO ledger_keys VALUES ('x', zeroblob(3), '')") != nil)
    }
}
