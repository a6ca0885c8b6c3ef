import Foundation
import Testing

@testable import Ledger

/// Every file in `folder` (recursively), for "nothing was created" checks.
private func files(under folder: TemporaryFolder) -> Set<String> {
    Set(FileManager.default.enumerator(atPath: folder.url.path)?.compactMap { $0 as? String } ?? [])
}

@Suite("A ledger opened read-only creates and writes nothing")
struct ReadOnlyLedgerTests {
    @Test("a missing path is noLedger, and no file, folder, -wal or -shm appears")
    func missingPath() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("not/there/ledger.sqlite")
        #expect(throws: LedgerError.noLedger(path: path)) {
            try EventStore(path: path, options: .init(readOnly: true))
        }
        #expect(files(under: folder).isEmpty)
        #expect(
            LedgerError.noLedger(path: path).description
                == "no ledger at \(path): run a flow first or pass --ledger")
    }

    @Test("an empty file is no ledger yet: noLedger, and it stays empty")
    func emptyFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("empty.ledger")
        FileManager.default.createFile(atPath: path, contents: nil)
        #expect(throws: LedgerError.noLedger(path: path)) {
            try EventStore(path: path, options: .init(readOnly: true))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
    }

    @Test("reads leave the file and its write-ahead log byte for byte as they were, and see every event")
    func readsWriteNothing() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        do {
            // The cache of TypeCounts stops at seq 4: later events come from a writer without the projection.
            let writer = try EventStore(
                path: path, options: .init(projections: [ProjectionRegistration(TypeCounts.self)]))
            for index in 0..<4 { try writer.append([try event("Step", ["n": index])], to: "exec-a") }
            let plain = try EventStore(path: path)
            for index in 4..<7 { try plain.append([try event("Step", ["n": index])], to: "exec-a") }
            try plain.append([try event("Other")], to: "exec-b")
        }
        #expect(rawSQL(path, "PRAGMA wal_checkpoint(TRUNCATE)") == nil)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let listing = files(under: folder)

        let reader = try EventStore(path: path, options: .init(readOnly: true))
        let states = try reader.cachedStates(TypeCounts.self)
        #expect(states["exec-a"]?.total == 21, "the events past the cache's checkpoint are folded in memory")
        #expect(states["exec-a"]?.lastVersion == 7)
        #expect(states["exec-b"]?.counts == ["Other": 1])
        #expect(try reader.cachedState(TypeCounts.self, key: "exec-a") == states["exec-a"])
        #expect(try reader.verify().isValid)
        _ = try reader.importOrigins()
        #expect(rawInteger(path, "SELECT seq FROM projection_checkpoints WHERE projection = 'type-counts'") == 4)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data()
        #expect(wal.isEmpty, "nothing was written to the write-ahead log either")
        #expect(files(under: folder).subtracting(["l.ledger-wal", "l.ledger-shm"]) == listing)
    }

    @Test("an immutable open (read-only media) reads the ledger, whatever characters its path holds")
    func immutableOpen() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("odd ?#%name.ledger")
        _ = try ledger(with: 5, in: folder, name: "odd ?#%name.ledger")
        #expect(rawSQL(path, "PRAGMA wal_checkpoint(TRUNCATE)") == nil)
        let uri = Connection.immutableURI(path)
        #expect(uri.hasPrefix("file:/") && uri.hasSuffix("?immutable=1"))
        #expect(uri.contains("odd%20%3F%23%25name.ledger"))
        let connection = try Connection(path: path, access: .immutable, busyTimeout: .seconds(1))
        let count = try connection.oneShotStatement("SELECT count(*) FROM events")
        try count.step()
        #expect(count.int64(0) == 5)
        let write = #expect(throws: LedgerError.self) {
            try connection.execute("CREATE TABLE x(y)")
        }
        guard case .readOnly = write else {
            Issue.record("an immutable connection must refuse writes, got \(String(describing: write))")
            return
        }
    }
}
