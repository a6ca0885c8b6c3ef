import Foundation
import Ledger
import PostgresLedger
import Testing

/// Groups of appends written in one statement from the local file's chain, and what happens when another host
/// wrote first: the statement writes nothing and the group is decided on the database's state.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
struct OneStatementAppendTests {
    func open(_ url: String, host: String, cache folder: URL) throws -> (EventStore, PostgresRecord) {
        let store = try PostgresLedgerStore.open(
            url: url, options: .init(host: host), cacheFolder: folder.appendingPathComponent(host).path)
        return (store, try #require(store.record as? PostgresRecord))
    }

    @Test func appendsOnAnUpToDateCacheAreWrittenInOneStatement() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let (store, record) = try open(url, host: "a", cache: folder)
            for step in 0..<10 {
                try await store.append(
                    [event("Step", #"{"step":\#(step)}"#)], to: "exec-1", expectedVersion: .exactly(Int64(step)),
                    idempotencyKey: "step-\(step)")
            }
            #expect(record.currentStatistics == .init(oneStatement: 10, missed: 0, twoStep: 0))
            // A check that fails on the local state is decided on the database's, and refused there too.
            await #expect(throws: LedgerError.versionConflict(stream: "exec-1", expected: .noStream, actual: 10)) {
                try await store.append([event("Again", "{}")], to: "exec-1", expectedVersion: .noStream)
            }
            var seqs: [Int64] = []
            try store.readAll { seqs.append($0.seq) }
            #expect(seqs == Array(1...10))
            #expect(try store.verify().isValid)
            #expect(try PostgresTestServer.databaseRows(url) == cacheRows(store))
        }
    }

    @Test func aGroupAfterAnotherHostsWriteIsWrittenOnTheDatabasesState() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let (hostA, _) = try open(url, host: "a", cache: folder)
            let (hostB, recordB) = try open(url, host: "b", cache: folder)
            try await hostA.append([event("Started", "{}")], to: "exec-a")
            // Host b's cache has not seen host a's event: its statement writes nothing, and the group goes on.
            let written = try await hostB.append([event("Started", "{}")], to: "exec-b", expectedVersion: .noStream)
            #expect(written.events.map(\.seq) == [2])
            #expect(try written.events.first?.prevHash == hostA.events(in: "exec-a").first?.hash)
            #expect(recordB.currentStatistics == .init(oneStatement: 0, missed: 1, twoStep: 1))
            // The next groups read the database's state first rather than miss again.
            try await hostB.append([event("Step", "{}")], to: "exec-b")
            #expect(recordB.currentStatistics == .init(oneStatement: 0, missed: 1, twoStep: 2))
            try hostA.catchUp()
            #expect(try hostA.verify().isValid)
            #expect(try hostB.verify().isValid)
            #expect(try PostgresTestServer.databaseRows(url) == cacheRows(hostA))
            #expect(try cacheRows(hostA) == cacheRows(hostB))
        }
    }

    @Test func aLeaseTakenOverBetweenWritesRefusesTheStatementAndTheAppend() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let (hostA, recordA) = try open(url, host: "a", cache: folder)
            let (hostB, _) = try open(url, host: "b", cache: folder)
            guard case .acquired(let tokenA) = try await hostA.acquireLease("exec-1", owner: "run") else {
                Issue.record("host a did not get the lease of a new execution")
                return
            }
            try await hostA.append(
                [event("Started", "{}")], to: "exec-1", precondition: EventStore.fence("exec-1", token: tokenA))
            let before = recordA.currentStatistics
            // Host a's lease expires (aged by the database's clock past its TTL), and host b takes it over.
            try await ageLeases(url, by: EventStore.leaseTTL + 1)
            guard case .acquired = try await hostB.acquireLease("exec-1", owner: "serve") else {
                Issue.record("host b did not take over an expired lease")
                return
            }
            // No event was written since host a's: its cache is up to date, and only the fence tells.
            await #expect(throws: LedgerError.leaseLost(stream: "exec-1")) {
                try await hostA.append(
                    [event("Late", "{}")], to: "exec-1", precondition: EventStore.fence("exec-1", token: tokenA))
            }
            #expect(recordA.currentStatistics.missed == before.missed + 1)
            #expect(try PostgresTestServer.databaseRows(url).map(\.type) == ["Started"])
        }
    }

    @Test func aKeyUsedOnAnotherHostReplaysItsOriginalEvents() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let (hostA, _) = try open(url, host: "a", cache: folder)
            let (hostB, recordB) = try open(url, host: "b", cache: folder)
            let original = try await hostA.append([event("Step", "{}")], to: "exec-1", idempotencyKey: "k-1")
            // Host b is up to date, so only the key tells that this append was made already.
            try hostB.catchUp()
            let again = try await hostB.append([event("Step", "{}")], to: "exec-1", idempotencyKey: "k-1")
            #expect(again.replayed)
            #expect(again.events == original.events)
            #expect(recordB.currentStatistics == .init(oneStatement: 0, missed: 1, twoStep: 1))
            await #expect(throws: LedgerError.idempotencyKeyReused(key: "k-1", stream: "exec-1")) {
                try await hostB.append([event("Other", "{}")], to: "exec-1", idempotencyKey: "k-1")
            }
            #expect(try PostgresTestServer.databaseRows(url).count == 1)
        }
    }

    func cacheRows(_ store: EventStore) throws -> [RecordedEvent] {
        var rows: [RecordedEvent] = []
        try store.readAll { rows.append($0) }
        return rows
    }
}
