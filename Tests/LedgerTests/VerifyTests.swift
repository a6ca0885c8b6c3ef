import Foundation
import Testing

@testable import Ledger

/// Each test tampers with the file the way an attacker with the `sqlite3` tool would: drop the triggers that
/// protect `events`, change rows with raw SQL, and leave. `verify` must name the first bad `seq` and what is wrong.
@Suite("verify detects tampering")
struct VerifyTests {
    let folder: TemporaryFolder
    let store: EventStore

    init() throws {
        folder = try TemporaryFolder()
        store = try ledger(with: 10, in: folder)
    }

    func tamper(_ sql: String) {
        let error = rawSQL(
            store.path,
            "DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete; \(sql)")
        #expect(error == nil, "tampering SQL failed: \(error ?? "")")
    }

    @Test("an untouched ledger verifies")
    func clean() throws {
        let report = try store.verify()
        #expect(report.isValid)
        #expect(report.eventsChecked == 10)
        #expect(report.streamsChecked == 2)
        #expect(report.storageCheck == "ok")
    }

    @Test("a changed payload")
    func changedPayload() throws {
        tamper("UPDATE events SET payload = CAST('{\"n\":99}' AS BLOB) WHERE seq = 4")
        let report = try store.verify()
        #expect(report.firstProblem == .payloadChanged(seq: 4))
        #expect(!report.immutabilityTriggersPresent)
        #expect(!report.isValid)
    }

    @Test("a changed payload whose digest was recomputed to match")
    func changedPayloadAndDigest() throws {
        let forged = Data("{\"n\":99}".utf8)
        let digest = SHA256Digest.of(forged).hex
        tamper("UPDATE events SET payload = CAST('{\"n\":99}' AS BLOB), payload_sha256 = X'\(digest)' WHERE seq = 4")
        #expect(try store.verify().firstProblem == .rowAltered(seq: 4))
    }

    @Test("a deleted row")
    func deletedRow() throws {
        tamper("DELETE FROM events WHERE seq = 5")
        #expect(try store.verify().firstProblem == .rowMissing(seq: 6, after: 4))
    }

    @Test("a deleted row with the rows after it renumbered to hide the gap")
    func deletedRowRenumbered() throws {
        tamper(
            """
            DELETE FROM events WHERE seq = 5;
            UPDATE events SET seq = -(seq - 1) WHERE seq > 5;
            UPDATE events SET seq = -seq WHERE seq < 0;
            """)
        #expect(try store.verify().firstProblem == .rowMissing(seq: 5, after: 4))
    }

    @Test("a swapped pair")
    func swappedPair() throws {
        tamper(
            """
            UPDATE events SET seq = -1 WHERE seq = 6;
            UPDATE events SET seq = 6 WHERE seq = 7;
            UPDATE events SET seq = 7 WHERE seq = -1;
            """)
        #expect(try store.verify().firstProblem == .rowsReordered(seq: 6, with: 7))
    }

    @Test("an inserted row, even one whose own hashes were forged correctly")
    func insertedRow() throws {
        let before = try store.events(in: "b")[1]  // seq 4
        let at = "2026-01-01T00:00:00.000000Z"
        let payload = Data("{\"forged\":true}".utf8)
        let digest = SHA256Digest.of(payload)
        let hash = HashChain.globalHash(
            prev: before.hash, seq: 5, stream: "intruder", version: 1, type: "Step", schemaVersion: 1,
            recordedAt: at, payloadSHA256: digest)
        let streamHash = HashChain.streamHash(
            prev: .zero, stream: "intruder", version: 1, type: "Step", schemaVersion: 1, recordedAt: at,
            payloadSHA256: digest)
        tamper(
            """
            UPDATE events SET seq = -(seq + 1) WHERE seq >= 5;
            UPDATE events SET seq = -seq WHERE seq < 0;
            INSERT INTO events VALUES (5, 'intruder', 1, 'Step', 1, '\(at)', CAST('{"forged":true}' AS BLOB),
                X'\(digest.hex)', X'\(before.hash.hex)', X'\(hash.hex)', X'\(streamHash.hex)');
            """)
        #expect(try store.verify().firstProblem == .rowInserted(seq: 5))
    }

    @Test("a row appended at the end with a made-up hash")
    func appendedForgery() throws {
        let zero = SHA256Digest.zero.hex
        let digest = SHA256Digest.of(Data("{}".utf8)).hex
        tamper(
            """
            INSERT INTO events VALUES (11, 'a', 6, 'Step', 1, '2026-01-01T00:00:00.000000Z', CAST('{}' AS BLOB),
                X'\(digest)', X'\(zero)', X'\(zero)', X'\(zero)');
            """)
        let problem = try store.verify().firstProblem
        #expect(problem?.seq == 11)
    }

    @Test("a changed event type")
    func alteredMetadata() throws {
        tamper("UPDATE events SET type = 'TaskSucceeded' WHERE seq = 3")
        #expect(try store.verify().firstProblem == .rowAltered(seq: 3))
        #expect(try store.verify().firstProblem?.description.contains("seq 3") == true)
    }

    @Test("the global hash follows the documented byte layout")
    func independentChainAgrees() throws {
        // Length-prefixed fields, 8-byte big-endian integers, as HashChain documents.
        let first = try store.events(in: "a")[0]
        var buffer = Array("BLG1".utf8) + [UInt8](repeating: 0, count: 32)
        buffer += [0, 0, 0, 0, 0, 0, 0, 1]
        buffer += [0, 0, 0, 1] + Array("a".utf8)
        buffer += [0, 0, 0, 0, 0, 0, 0, 1]
        buffer += [0, 0, 0, 4] + Array("Step".utf8)
        buffer += [0, 0, 0, 0, 0, 0, 0, 1]
        buffer += [0, 0, 0, 27] + Array(first.recordedAt.utf8)
        buffer += first.payloadSHA256.bytes
        #expect(SHA256Digest.of(buffer) == first.hash)
    }
}
