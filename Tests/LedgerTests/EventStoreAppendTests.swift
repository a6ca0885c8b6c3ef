import Foundation
import Testing

@testable import Ledger

@Suite("Appending and reading events")
struct EventStoreAppendTests {
    @Test("events come back in order with every envelope field and both chains linked")
    func appendAndReadBack() throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        let first = try store.append(
            [try event("ExecutionStarted", ["x": 1]), try event("TaskRendered", ["x": 2])], to: "exec-1",
            expectedVersion: .noStream)
        try store.append([try event("ExecutionStarted", ["y": 1])], to: "exec-2", expectedVersion: .noStream)
        try store.append([try event("TaskSucceeded")], to: "exec-1", expectedVersion: .exactly(2))

        let events = try store.events(in: "exec-1")
        #expect(events.map(\.type) == ["ExecutionStarted", "TaskRendered", "TaskSucceeded"])
        #expect(events.map(\.version) == [1, 2, 3])
        #expect(events.map(\.seq) == [1, 2, 4])
        #expect(events[0] == first.events[0])
        #expect(try events[1].decode([String: Int].self) == ["x": 2])
        #expect(events[0].prevHash == .zero)
        #expect(events[1].prevHash == events[0].hash)
        #expect(events[2].prevHash != events[1].hash, "seq 3 (another stream) sits between them in the global chain")
        #expect(events[0].payloadSHA256 == SHA256Digest.of(events[0].payload))
        #expect(events[0].recordedAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)
        #expect(try store.currentVersion(of: "exec-1") == 3)
        #expect(try store.currentVersion(of: "nobody") == 0)
        #expect(try store.lastSeq() == 4)
        #expect(try store.streams() == ["exec-1", "exec-2"])

        var all: [Int64] = []
        try store.readAll(after: 1) { all.append($0.seq) }
        #expect(all == [2, 3, 4])
        var tail: [Int64] = []
        try store.readStream("exec-1", fromVersion: 3) { tail.append($0.version) }
        #expect(tail == [3])
    }

    @Test("the file is private, in WAL mode, and durable")
    func fileModeAndPragmas() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("nested/deeper/l.ledger")
        let store = try EventStore(path: path)
        try store.append([try event("A")], to: "s")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(rawInteger(path, "PRAGMA application_id") == Int64(Schema.applicationID))
        #expect(rawInteger(path, "PRAGMA user_version") == Int64(Schema.latestVersion))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        try store.withWriter { connection throws(LedgerError) in
            #expect(try connection.pragma("synchronous") == "2")
            #expect(try connection.pragma("journal_mode") == "wal")
            #expect(try connection.pragma("foreign_keys") == "1")
        }
    }

    @Test("a stale expected version is a typed conflict and writes nothing")
    func versionConflict() throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        try store.append([try event("A"), try event("B")], to: "s", expectedVersion: .noStream)
        #expect(throws: LedgerError.versionConflict(stream: "s", expected: .exactly(1), actual: 2)) {
            try store.append([try event("C")], to: "s", expectedVersion: .exactly(1))
        }
        #expect(throws: LedgerError.versionConflict(stream: "s", expected: .noStream, actual: 2)) {
            try store.append([try event("C")], to: "s", expectedVersion: .noStream)
        }
        #expect(try store.lastSeq() == 2)
        let error = LedgerError.versionConflict(stream: "s", expected: .exactly(1), actual: 2)
        #expect(error.description.contains("stream s is at version 2, not version 1"))
    }

    @Test("a retried append with the same idempotency key returns the original rows")
    func idempotentRetry() throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        let batch = [try event("UploadRequested", ["n": 1]), try event("FileUploaded", ["n": 1])]
        let first = try store.append(batch, to: "s", expectedVersion: .noStream, idempotencyKey: "upload-1")
        #expect(!first.replayed)
        // The retry's expected version is stale, as it would be after a crash; the key wins.
        let retry = try store.append(batch, to: "s", expectedVersion: .noStream, idempotencyKey: "upload-1")
        #expect(retry.replayed)
        #expect(retry.events == first.events)
        #expect(try store.lastSeq() == 2)

        #expect(throws: LedgerError.idempotencyKeyReused(key: "upload-1", stream: "s")) {
            try store.append([try event("UploadRequested", ["n": 2])], to: "s", idempotencyKey: "upload-1")
        }
        #expect(throws: LedgerError.idempotencyKeyReused(key: "upload-1", stream: "other")) {
            try store.append(batch, to: "other", idempotencyKey: "upload-1")
        }
        #expect(try store.lastSeq() == 2)
    }

    @Test("UPDATE and DELETE on events are refused by the database itself")
    func immutabilityTriggers() throws {
        let folder = try TemporaryFolder()
        let store = try ledger(with: 3, in: folder)
        let update = rawSQL(store.path, "UPDATE events SET type = 'Forged' WHERE seq = 2")
        #expect(update?.contains("events are immutable: UPDATE refused") == true)
        let delete = rawSQL(store.path, "DELETE FROM events WHERE seq = 1")
        #expect(delete?.contains("events are immutable: DELETE refused") == true)
        #expect(try store.events(in: "b").map(\.type) == ["Step"])
        #expect(try store.verify().isValid)
    }

    @Test("bad arguments are refused before anything is written")
    func invalidArguments() throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        #expect(throws: LedgerError.self) { try store.append([], to: "s") }
        #expect(throws: LedgerError.self) { try store.append([try event("A")], to: "") }
        #expect(throws: LedgerError.self) { try store.append([NewEvent(type: "", payload: Data())], to: "s") }
        #expect(try store.lastSeq() == 0)
    }

    @Test("audit queries filter by type, stream and time")
    func auditQuery() throws {
        let folder = try TemporaryFolder()
        let times = [0.0, 60, 120, 180].map { Date(timeIntervalSince1970: 1_800_000_000 + $0) }
        let clock = TestClock(times[0])
        let store = try EventStore(path: folder.path("l.ledger"), options: .init(clock: { clock.now }))
        try store.append([try event("JobCreated")], to: "e1")
        clock.now = times[1]
        try store.append([try event("JobPolled")], to: "e1")
        clock.now = times[2]
        try store.append([try event("JobCreated")], to: "e2")
        clock.now = times[3]
        try store.append([try event("TaskFailed")], to: "e2")

        var seen: [Int64] = []
        try store.query(EventFilter(types: ["JobCreated"])) { seen.append($0.seq) }
        #expect(seen == [1, 3])
        seen = []
        try store.query(EventFilter(streams: ["e2"], since: times[2])) { seen.append($0.seq) }
        #expect(seen == [3, 4])
        seen = []
        try store.query(EventFilter(since: times[1], until: times[3])) { seen.append($0.seq) }
        #expect(seen == [2, 3])
        seen = []
        try store.query(EventFilter(afterSeq: 1, limit: 2)) { seen.append($0.seq) }
        #expect(seen == [2, 3])
    }
}

/// A clock that tells the time a test sets.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Date

    init(_ time: Date) {
        self.time = time
    }

    var now: Date {
        get { lock.withLock { time } }
        set { lock.withLock { time = newValue } }
    }
}
