import Foundation
import Ledger
import PostgresLedger
import PostgresNIO
import Testing

/// `EventStore` with PostgreSQL as its ledger of record: several stores (as on several hosts, each with a cache
/// folder and a host name of its own) share one database.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
struct SharedLedgerTests {
    /// A store on `url` as host `host`, its cache in `folder`.
    func open(
        _ url: String, host: String, cache folder: URL, readOnly: Bool = false, create: Bool = true
    ) throws -> EventStore {
        try PostgresLedgerStore.open(
            url: url, options: .init(readOnly: readOnly, host: host), create: create,
            cacheFolder: folder.appendingPathComponent(host).path)
    }

    @Test func concurrentAppendsThroughTheWriterAreAllCommittedGapFree() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let store = try open(url, host: "a", cache: folder)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for stream in 0..<50 {
                    group.addTask {
                        for step in 0..<4 {
                            try await store.append(
                                [event("Step", #"{"step":\#(step)}"#)], to: "exec-\(stream)",
                                expectedVersion: .exactly(Int64(step)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            var seqs: [Int64] = []
            try store.readAll { seqs.append($0.seq) }
            #expect(seqs == Array(1...200))
            #expect(store.writerStatistics.events == 200)
            #expect(store.writerStatistics.appends == 200)
            #expect(try store.verify().isValid)
            // The database holds the same rows as the cache.
            let fromDatabase = try PostgresTestServer.databaseRows(url)
            var fromCache: [RecordedEvent] = []
            try store.readAll { fromCache.append($0) }
            #expect(fromDatabase == fromCache)
        }
    }

    @Test func synchronousAppendsKeepTheirChecks() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let store = try open(url, host: "a", cache: folder)
            let first = try store.append([event("Started", "{}")], to: "exec-1", expectedVersion: .noStream)
            #expect(first.events.map(\.seq) == [1])
            #expect(throws: LedgerError.versionConflict(stream: "exec-1", expected: .noStream, actual: 1)) {
                try store.append([event("Started", "{}")], to: "exec-1", expectedVersion: .noStream)
            }
            let keyed = try store.append([event("Step", "{}")], to: "exec-1", idempotencyKey: "k-1")
            let again = try store.append([event("Step", "{}")], to: "exec-1", idempotencyKey: "k-1")
            #expect(again.replayed)
            #expect(again.events == keyed.events)
            #expect(throws: LedgerError.idempotencyKeyReused(key: "k-1", stream: "exec-1")) {
                try store.append([event("Other", "{}")], to: "exec-1", idempotencyKey: "k-1")
            }
            #expect(try store.events(in: "exec-1").map(\.type) == ["Started", "Step"])
            // The secret-digest key lives in the database: a second host gets the same one.
            let other = try open(url, host: "b", cache: folder)
            #expect(try store.secretDigestKey().hmacSHA256([1]) == other.secretDigestKey().hmacSHA256([1]))
        }
    }

    @Test func aSecondHostReadsTheFirstHostsEventsOnceCaughtUp() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let hostA = try open(url, host: "a", cache: folder)
            let hostB = try open(url, host: "b", cache: folder)
            try await hostA.append([event("Started", #"{"by":"a"}"#)], to: "exec-a")
            #expect(try hostB.events(in: "exec-a").isEmpty)
            #expect(try hostB.catchUp() == 1)
            #expect(try hostB.events(in: "exec-a").map(\.type) == ["Started"])
            // A write of B's brings B's cache up to everything committed before it, and A's next write does
            // the same for A.
            try await hostA.append([event("Step", "{}")], to: "exec-a")
            try await hostB.append([event("Started", #"{"by":"b"}"#)], to: "exec-b")
            #expect(try hostB.lastSeq() == 3)
            try await hostA.append([event("Done", "{}")], to: "exec-a")
            var fromA: [RecordedEvent] = []
            try hostA.readAll { fromA.append($0) }
            #expect(fromA.map(\.stream) == ["exec-a", "exec-a", "exec-b", "exec-a"])
            #expect(try hostB.catchUp() == 4)
            var fromB: [RecordedEvent] = []
            try hostB.readAll { fromB.append($0) }
            #expect(fromA == fromB)
        }
    }

    @Test func aLeaseOnAnotherHostHoldsUntilItExpiresAndFencesItsHolderAfterwards() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let hostA = try open(url, host: "a", cache: folder)
            let hostB = try open(url, host: "b", cache: folder)
            guard case .acquired(let tokenA) = try await hostA.acquireLease("exec-1", owner: "run") else {
                Issue.record("host a did not get the lease of a new execution")
                return
            }
            try await hostA.append(
                [event("Started", "{}")], to: "exec-1", precondition: EventStore.fence("exec-1", token: tokenA))
            // Host a's process is alive as far as host b can know: its lease holds for the whole TTL.
            guard case .heldBy(let holder) = try await hostB.acquireLease("exec-1", owner: "serve", ttl: 3600) else {
                Issue.record("host b took a live lease of host a")
                return
            }
            #expect(holder.host == "a")
            #expect(holder.token == tokenA)
            // Expired (a TTL of 0 s has always passed): host b takes it over, and host a's writes are refused.
            guard case .acquired(let tokenB) = try await hostB.acquireLease("exec-1", owner: "serve", ttl: 0) else {
                Issue.record("host b did not take over an expired lease")
                return
            }
            #expect(tokenB == tokenA + 1)
            await #expect(throws: LedgerError.leaseLost(stream: "exec-1")) {
                try await hostA.append(
                    [event("Late", "{}")], to: "exec-1", precondition: EventStore.fence("exec-1", token: tokenA))
            }
            #expect(try hostA.heartbeatLease("exec-1", token: tokenA) == false)
            // Host b reads everything host a wrote before the takeover, and writes on.
            #expect(try hostB.events(in: "exec-1").map(\.type) == ["Started"])
            try await hostB.append(
                [event("Resumed", "{}")], to: "exec-1", precondition: EventStore.fence("exec-1", token: tokenB))
            #expect(try hostB.events(in: "exec-1").map(\.type) == ["Started", "Resumed"])
            try await hostB.releaseLease("exec-1", token: tokenB)
            guard case .acquired = try await hostA.acquireLease("exec-1", owner: "run", ttl: 3600) else {
                Issue.record("a released lease was not free")
                return
            }
        }
    }

    @Test func aCacheOfAnotherLedgerIsBegunAgain() async throws {
        let base = try #require(PostgresTestServer.url)
        let url = try await PostgresTestServer.freshDatabase()
        let name = String(try #require(URLComponents(string: url)).path.dropFirst())
        try await withTemporaryFolder { folder in
            do {
                let first = try open(url, host: "a", cache: folder)
                try await first.append([event("Old", "{}")], to: "exec-old")
                try await first.append([event("Old", "{}")], to: "exec-old")
            }
            // The database is dropped and created again under the same name: the cache's rows are not its.
            try await PostgresTestServer.asOwner(base) { connection in
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: testLogger)
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: testLogger)
            }
            let writer = try open(url, host: "b", cache: folder)
            try await writer.append([event("New", "{}")], to: "exec-new")
            try await writer.append([event("New", "{}")], to: "exec-new")
            let reopened = try open(url, host: "a", cache: folder)
            var rows: [RecordedEvent] = []
            try reopened.readAll { rows.append($0) }
            #expect(rows.map(\.stream) == ["exec-new", "exec-new"])
            #expect(try reopened.verify().isValid)
        }
    }

    @Test func aReadOnlyStoreCatchesUpButWritesNothing() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            #expect(throws: PostgresLedgerError.self) {
                _ = try open(url, host: "r", cache: folder, readOnly: true)
            }
            #expect(throws: PostgresLedgerError.self) {
                _ = try open(url, host: "r", cache: folder, create: false)
            }
            let writer = try open(url, host: "w", cache: folder)
            try await writer.append([event("Started", "{}")], to: "exec-1")
            let reader = try open(url, host: "r", cache: folder, readOnly: true)
            #expect(try reader.events(in: "exec-1").map(\.type) == ["Started"])
            #expect(throws: LedgerError.self) {
                try reader.append([event("Step", "{}")], to: "exec-1")
            }
            await #expect(throws: LedgerError.self) {
                try await reader.acquireLease("exec-1", owner: "reader")
            }
            #expect(try writer.events(in: "exec-1").count == 1)
        }
    }
}
