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
            // Expired (its heartbeat older than host a's TTL by the database's clock): host b takes it over, and
            // host a's writes are refused.
            try await ageLeases(url, by: EventStore.leaseTTL + 1)
            guard case .acquired(let tokenB) = try await hostB.acquireLease("exec-1", owner: "serve", ttl: 3600) else {
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

    @Test func aHolderWithALongTTLIsNotTakenOverByAHostConfiguredWithAShortOne() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let hostA = try open(url, host: "a", cache: folder)
            let hostB = try open(url, host: "b", cache: folder)
            guard case .acquired(let tokenA) = try await hostA.acquireLease("exec-1", owner: "serve", ttl: 60) else {
                Issue.record("host a did not get the lease of a new execution")
                return
            }
            // A TTL of 0 s has always passed; host a's 60 s have not.
            try await ageLeases(url, by: 30)
            guard case .heldBy(let holder) = try await hostB.acquireLease("exec-1", owner: "serve", ttl: 0) else {
                Issue.record("host b, whose own TTL is 0 s, took a lease 30 s into its holder's 60 s TTL")
                return
            }
            #expect(holder.host == "a" && holder.token == tokenA && holder.ttl == 60)
            #expect(holder.age >= 30 && holder.age < 60)
            let seen = try #require(try hostB.leaseHolders(["exec-1"])["exec-1"])
            #expect(seen.ttl == 60 && hostB.leaseIsHeld(by: seen))
            // A heartbeat keeps the TTL.
            #expect(try await hostA.heartbeatLeases(coveredWithin: .zero) == [])
            #expect(try hostB.leaseHolders(["exec-1"])["exec-1"]?.ttl == 60)
            try await ageLeases(url, by: 61)
            #expect(try hostB.leaseHolders(["exec-1"])["exec-1"].map(hostB.leaseIsHeld(by:)) == false)
            guard case .acquired(let tokenB) = try await hostB.acquireLease("exec-1", owner: "serve", ttl: 0) else {
                Issue.record("host b did not take over a lease 61 s after its heartbeat, TTL 60 s")
                return
            }
            #expect(tokenB == tokenA + 1)
            #expect(try hostA.leaseHolders(["exec-1"])["exec-1"]?.ttl == 0, "the taker's TTL is stored")
        }
    }

    @Test func aHolderWithAShortTTLIsTakenOverAfterItEvenByAHostWithALongOne() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let hostA = try open(url, host: "a", cache: folder)
            let hostB = try open(url, host: "b", cache: folder)
            guard case .acquired(let tokenA) = try await hostA.acquireLease("exec-1", owner: "run", ttl: 5) else {
                Issue.record("host a did not get the lease of a new execution")
                return
            }
            try await ageLeases(url, by: 3)
            guard case .heldBy(let holder) = try await hostB.acquireLease("exec-1", owner: "serve", ttl: 3600) else {
                Issue.record("host b took a lease 3 s into its holder's 5 s TTL")
                return
            }
            #expect(holder.ttl == 5)
            try await ageLeases(url, by: 3)
            guard case .acquired(let tokenB) = try await hostB.acquireLease("exec-1", owner: "serve", ttl: 3600) else {
                Issue.record("host b, whose own TTL is 3600 s, did not take over a lease 6 s old, TTL 5 s")
                return
            }
            #expect(tokenB == tokenA + 1)
            await #expect(throws: LedgerError.leaseLost(stream: "exec-1")) {
                try await hostA.append(
                    [event("Late", "{}")], to: "exec-1", precondition: EventStore.fence("exec-1", token: tokenA))
            }
            // The same with a TTL of 0 s: taken at once, by the database's clock.
            guard case .acquired(let tokenC) = try await hostB.acquireLease("exec-2", owner: "run", ttl: 0),
                case .acquired = try await hostA.acquireLease("exec-2", owner: "serve", ttl: 3600)
            else {
                Issue.record("a lease with a TTL of 0 s was not taken over at once")
                return
            }
            #expect(tokenC == 1)
        }
    }

    @Test func leasesOfAnEarlierSchemaKeepTheDefaultTTL() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            do {
                _ = try open(url, host: "a", cache: folder)
            }
            // The database as the previous schema left it, with a lease host z holds.
            try await PostgresTestServer.asOwner(url) { connection in
                for statement in [
                    "DROP TABLE request_budget",
                    "ALTER TABLE leases DROP COLUMN ttl",
                    "DELETE FROM schema_migrations WHERE version >= 6",
                    """
                    INSERT INTO leases(stream, token, owner, pid, host, heartbeat_at, released)
                    VALUES ('exec-1', 3, 'serve', 4242, 'z', extract(epoch FROM clock_timestamp()) - 9, 0)
                    """,
                ] {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: testLogger)
                }
            }
            let store = try open(url, host: "b", cache: folder)
            let holder = try #require(try store.leaseHolders(["exec-1"])["exec-1"])
            #expect(holder.ttl == EventStore.leaseTTL && holder.token == 3)
            #expect(store.leaseIsHeld(by: holder))
            try await ageLeases(url, by: 2)
            guard case .acquired(let token) = try await store.acquireLease("exec-1", owner: "serve", ttl: 3600) else {
                Issue.record("a lease of the earlier schema 11 s old was not taken over")
                return
            }
            #expect(token == 4)
        }
    }

    @Test func twoHostsShareOneRequestAllowanceByTheDatabasesClock() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        try await withTemporaryFolder { folder in
            let hosts = [try open(url, host: "a", cache: folder), try open(url, host: "b", cache: folder)]
            let answers = try await withThrowingTaskGroup(of: Duration?.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await hosts[index % 2].takeRequest(from: "logging projects/p", perMinute: 5)
                    }
                }
                var answers: [Duration?] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            #expect(answers.filter { $0 == nil }.count == 5)
            #expect(answers.compactMap { $0 }.allSatisfy { $0 > .seconds(50) && $0 <= .seconds(60) })
            #expect(try await hosts[1].takeRequest(from: "logging projects/q", perMinute: 5) == nil)
            // A minute later by the database's clock, the calls no longer count and are forgotten.
            try await PostgresTestServer.asOwner(url) { connection in
                _ = try await connection.query("UPDATE request_budget SET taken_at = taken_at - 61", logger: testLogger)
            }
            for index in 0..<5 {
                #expect(try await hosts[index % 2].takeRequest(from: "logging projects/p", perMinute: 5) == nil)
            }
            #expect(try await hosts[0].takeRequest(from: "logging projects/p", perMinute: 5) != nil)
            let kept = try await PostgresTestServer.asOwner(url) { connection in
                try await connection.query(
                    "SELECT count(*)::bigint FROM request_budget WHERE scope = 'logging projects/p'", logger: testLogger
                )
                .collect().first?.decode(Int64.self)
            }
            #expect(kept == 5)
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

/// Moves every lease's last heartbeat `seconds` into the past, as the database's clock would after that long.
func ageLeases(_ url: String, by seconds: Double) async throws {
    try await PostgresTestServer.asOwner(url) { connection in
        _ = try await connection.query("UPDATE leases SET heartbeat_at = heartbeat_at - \(seconds)", logger: testLogger)
    }
}
