import CSQLite
import Foundation
import Testing

@testable import Ledger

@Suite("Errors a user can act on")
struct LedgerErrorTests {
    @Test("a text file is not a ledger")
    func textFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("notes.txt")
        try String(repeating: "not a database\n", count: 300).write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: LedgerError.self) { try EventStore(path: path) }
        guard case .notALedger(let reported, _) = error else {
            Issue.record("expected notALedger, got \(String(describing: error))")
            return
        }
        #expect(reported == path)
        #expect(error?.description.contains("is not a BatchLedger ledger") == true)
    }

    @Test("another application's SQLite database is not a ledger, and is left untouched")
    func otherDatabase() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("other.db")
        #expect(rawSQL(path, "CREATE TABLE customers(id INTEGER)") == nil)
        #expect(throws: LedgerError.notALedger(path: path, detail: "an SQLite database of another application")) {
            try EventStore(path: path)
        }
        #expect(rawInteger(path, "SELECT count(*) FROM sqlite_master WHERE name = 'events'") == 0)
    }

    @Test("a ledger from a newer schema is refused with both versions named")
    func newerSchema() throws {
        let folder = try TemporaryFolder()
        let store = try ledger(with: 2, in: folder)
        #expect(rawSQL(store.path, "PRAGMA user_version = 99") == nil)
        let path = store.path
        #expect(throws: LedgerError.newerSchema(path: path, found: 99, supported: Schema.latestVersion)) {
            try EventStore(path: path)
        }
        #expect(throws: LedgerError.newerSchema(path: path, found: 99, supported: Schema.latestVersion)) {
            try EventStore(path: path, options: .init(readOnly: true))
        }
    }

    @Test("a write lock held past the busy timeout is reported as locked, and nothing is half-written")
    func lockedByAnotherProcess() throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"), options: .init(busyTimeout: .milliseconds(200)))
        try store.append([try event("A")], to: "s")
        // A second connection, standing for another process, holds the write lock.
        var holder: OpaquePointer?
        #expect(sqlite3_open(store.path, &holder) == SQLITE_OK)
        #expect(sqlite3_exec(holder, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK)
        let started = ContinuousClock.now
        #expect(throws: LedgerError.locked(path: store.path, operation: "begin transaction")) {
            try store.append([try event("B")], to: "s")
        }
        #expect(ContinuousClock.now - started >= .milliseconds(150))
        sqlite3_exec(holder, "ROLLBACK", nil, nil, nil)
        sqlite3_close(holder)
        try store.append([try event("C")], to: "s")
        #expect(try store.events(in: "s").map(\.type) == ["A", "C"])
    }

    @Test("a full disk rolls the whole batch back and the ledger still verifies")
    func diskFull() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        let store = try EventStore(path: path, options: .init(maximumPageCount: 40))
        var appended = 0
        var failure: LedgerError?
        let big = Data(repeating: 0x41, count: 3000)
        while failure == nil && appended < 1000 {
            do {
                try store.append(
                    [NewEvent(type: "Big", payload: big), NewEvent(type: "Big", payload: big)], to: "s")
                appended += 2
            } catch {
                failure = error
            }
        }
        #expect(failure == .diskFull(path: path))
        #expect(failure?.description.contains("disk full") == true)
        #expect(try store.lastSeq() == Int64(appended))
        #expect(try store.verify().isValid)
    }

    @Test("a ledger opened read-only refuses writes with a clear reason")
    func readOnly() throws {
        let folder = try TemporaryFolder()
        let path = try ledger(with: 2, in: folder).path
        let reader = try EventStore(path: path, options: .init(readOnly: true))
        #expect(try reader.lastSeq() == 2)
        #expect(throws: LedgerError.readOnly(path: path, detail: "opened read-only")) {
            try reader.append([try event("A")], to: "s")
        }
        #expect(throws: LedgerError.noLedger(path: folder.path("missing.ledger"))) {
            try EventStore(path: folder.path("missing.ledger"), options: .init(readOnly: true))
        }
    }

    @Test("damaged pages are reported as corruption")
    func corrupted() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        do {
            let store = try EventStore(path: path)
            for index in 0..<200 {
                try store.append(
                    [NewEvent(type: "Big", payload: Data(repeating: UInt8(index % 200), count: 2000))], to: "s")
            }
        }
        #expect(rawSQL(path, "PRAGMA wal_checkpoint(TRUNCATE)") == nil)
        // Overwrite the middle of the file (well past the 100-byte header) with garbage.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: 4096 * 20)
        handle.write(Data(repeating: 0xA5, count: 4096 * 30))
        try handle.close()

        var failure: LedgerError?
        do {
            let store = try EventStore(path: path)
            _ = try store.verify()
            try store.readAll { _ in }
        } catch let error as LedgerError {
            failure = error
        }
        guard case .corrupted = failure else {
            Issue.record("expected corrupted, got \(String(describing: failure))")
            return
        }
        #expect(failure?.description.contains("restore it from a backup") == true)
    }
}
