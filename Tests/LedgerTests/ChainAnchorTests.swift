import Foundation
import Testing

@testable import Ledger

/// Rewrites the ledger as an attacker who knows the hash layout would: drops the triggers, changes the payload
/// of `seq`, recomputes the payload digest and both chains from there on with the ledger's own `HashChain`,
/// and puts the triggers back. Plain `verify` cannot tell.
func rewriteWithRecomputedChains(_ store: EventStore, seq target: Int64, payload: String) throws {
    var rows: [RecordedEvent] = []
    try store.readAll { rows.append($0) }
    var previousHash = SHA256Digest.zero
    var streamHeads: [String: SHA256Digest] = [:]
    var updates = ""
    for row in rows {
        var hash = row.hash
        var streamHash = row.streamHash
        if row.seq >= target {
            let payload = row.seq == target ? Data(payload.utf8) : row.payload
            let digest = SHA256Digest.of(payload)
            hash = HashChain.globalHash(
                prev: previousHash, seq: row.seq, stream: row.stream, version: row.version, type: row.type,
                schemaVersion: row.schemaVersion, recordedAt: row.recordedAt, payloadSHA256: digest)
            streamHash = HashChain.streamHash(
                prev: streamHeads[row.stream] ?? .zero, stream: row.stream, version: row.version, type: row.type,
                schemaVersion: row.schemaVersion, recordedAt: row.recordedAt, payloadSHA256: digest)
            let payloadHex = payload.map { String(format: "%02x", $0) }.joined()
            updates += """
                UPDATE events SET payload = X'\(payloadHex)', payload_sha256 = X'\(digest.hex)',
                    prev_hash = X'\(previousHash.hex)', hash = X'\(hash.hex)',
                    stream_hash = X'\(streamHash.hex)' WHERE seq = \(row.seq);

                """
        }
        previousHash = hash
        streamHeads[row.stream] = streamHash
    }
    try tamperKeepingTriggers(store.path, updates)
}

/// Runs `sql` with the immutability triggers dropped, then creates them again exactly as the schema does.
func tamperKeepingTriggers(_ path: String, _ sql: String) throws {
    let error = rawSQL(
        path,
        """
        BEGIN;
        DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete;
        \(sql)
        CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
        BEGIN
            SELECT RAISE(ABORT, 'events are immutable: UPDATE refused');
        END;
        CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
        BEGIN
            SELECT RAISE(ABORT, 'events are immutable: DELETE refused');
        END;
        COMMIT;
        """)
    #expect(error == nil, "tampering SQL failed: \(error ?? "")")
}

@Suite("verify against a head kept elsewhere")
struct ChainAnchorTests {
    let folder: TemporaryFolder
    let store: EventStore

    init() throws {
        folder = try TemporaryFolder()
        store = try ledger(with: 10, in: folder)
    }

    @Test("verify reports the head: the last row's seq and hash")
    func head() throws {
        let last = try #require(try store.events(in: "b").last)
        let report = try store.verify()
        #expect(report.head == ChainLink(seq: 10, hash: last.hash))
        #expect(report.head.description == "10:\(last.hash.hex)")
        let empty = try EventStore(path: folder.path("empty.ledger")).verify()
        #expect(empty.head == ChainLink(seq: 0, hash: .zero))
    }

    @Test("the right head, or any earlier link of the chain, passes")
    func rightAnchor() throws {
        let head = try store.verify().head
        let report = try store.verify(expectingHead: head)
        #expect(report.isValid)
        #expect(report.anchorProblem == nil)
        let fifth = try #require(try store.events(in: "a").first { $0.seq == 5 })
        #expect(try store.verify(expectingHead: ChainLink(seq: 5, hash: fifth.hash)).isValid)
        try store.append([try event("Later")], to: "a")
        #expect(try store.verify(expectingHead: head).isValid, "a ledger that grew still passes through its old head")
    }

    @Test("a rewrite before the head with both chains recomputed passes plain verify, not verify with the head")
    func rewriteIsCaught() throws {
        let head = try store.verify().head
        try rewriteWithRecomputedChains(store, seq: 4, payload: "{\"n\":999}")
        #expect(try store.events(in: "b")[1].payload == Data("{\"n\":999}".utf8), "the rewrite took")
        let plain = try store.verify()
        #expect(plain.isValid, "the forgery is consistent on its own: \(String(describing: plain.firstProblem))")
        #expect(plain.head.seq == 10 && plain.head.hash != head.hash)

        let anchored = try store.verify(expectingHead: head)
        #expect(!anchored.isValid)
        #expect(anchored.anchorProblem == .hashDiffers(seq: 10, found: plain.head.hash, expected: head.hash))
        let message = try #require(anchored.anchorProblem?.description)
        #expect(message.contains("seq 10 has hash \(plain.head.hash.hex), expected \(head.hash.hex)"))
        #expect(message.contains("rewritten"))
    }

    @Test("the last events cut off: plain verify passes, verify with the head names the truncation")
    func truncationIsCaught() throws {
        let head = try store.verify().head
        try tamperKeepingTriggers(store.path, "DELETE FROM events WHERE seq > 7;")
        let plain = try store.verify()
        #expect(plain.isValid, "cutting the end leaves a consistent chain")
        #expect(plain.head.seq == 7)
        let anchored = try store.verify(expectingHead: head)
        #expect(!anchored.isValid)
        #expect(anchored.anchorProblem == .truncated(lastSeq: 7, expected: 10))
        #expect(anchored.anchorProblem?.description.contains("ends at seq 7 < 10: truncated") == true)
    }

    @Test("cut and appended to again up to the same seq: the head's hash differs")
    func truncatedAndRegrown() throws {
        let head = try store.verify().head
        try tamperKeepingTriggers(store.path, "DELETE FROM events WHERE seq > 8; DELETE FROM sqlite_sequence;")
        try store.append([try event("Step", ["n": 8])], to: "a")
        try store.append([try event("Step", ["n": 9])], to: "b")
        let plain = try store.verify()
        #expect(plain.isValid)
        #expect(plain.head.seq == 10)
        let anchored = try store.verify(expectingHead: head)
        guard case .hashDiffers(let seq, _, let expected) = anchored.anchorProblem else {
            Issue.record("expected hashDiffers, got \(String(describing: anchored.anchorProblem))")
            return
        }
        #expect(seq == 10 && expected == head.hash)
    }

    @Test("SEQ:HASH parses as verify prints it; anything else does not")
    func parsing() throws {
        let hex = String(repeating: "ab", count: 32)
        #expect(ChainLink("42:\(hex)") == ChainLink(seq: 42, hash: try #require(SHA256Digest(hex: hex))))
        #expect(ChainLink("42:\(hex.uppercased())")?.hash.hex == hex)
        for bad in [
            "", "42", ":\(hex)", "0:\(hex)", "-1:\(hex)", "+4:\(hex)", "42:\(hex.dropLast())", "42:\(hex)0",
            "42:\(hex):1", "4 2:\(hex)", "99999999999999999999:\(hex)", "42:\(String(repeating: "zz", count: 32))",
        ] {
            #expect(ChainLink(bad) == nil, "\(bad)")
        }
    }
}
