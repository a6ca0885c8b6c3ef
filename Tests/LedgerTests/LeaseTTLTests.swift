import Foundation
import Testing

@testable import Ledger

/// Two processes of two hosts on one ledger file: the same clock, each its own host name, so that neither can
/// see whether the other's process is alive and only the lease's TTL decides.
private func twoHosts(_ folder: TemporaryFolder, clock: ManualLedgerClock) throws -> (EventStore, EventStore) {
    let path = folder.path("l.ledger")
    let a = try EventStore(path: path, options: .init(clock: clock.read, host: "a.example"))
    let b = try EventStore(path: path, options: .init(clock: clock.read, host: "b.example"))
    return (a, b)
}

@Suite("A lease expires by the TTL its holder chose, not by the TTL of the process that looks at it")
struct LeaseTTLTests {
    @Test("a holder with a long TTL is not taken over by a process configured with a short one")
    func longHolderOutlivesAShortTaker() async throws {
        let folder = try TemporaryFolder()
        let clock = ManualLedgerClock()
        let (a, b) = try twoHosts(folder, clock: clock)
        guard case .acquired(let token) = try await a.acquireLease("exec-1", owner: "serve", ttl: 60) else {
            Issue.record("a free lease was refused")
            return
        }
        clock.advance(by: 30)
        guard case .heldBy(let holder) = try await b.acquireLease("exec-1", owner: "serve", ttl: 1) else {
            Issue.record("a lease 30 s into its holder's 60 s TTL was taken by a process whose own TTL is 1 s")
            return
        }
        #expect(holder.host == "a.example" && holder.token == token && holder.ttl == 60 && holder.age == 30)
        let seen = try #require(try b.leaseHolders(["exec-1"])["exec-1"])
        #expect(seen.ttl == 60)
        #expect(b.leaseIsHeld(by: seen))
        clock.advance(by: 31)
        #expect(try b.leaseHolders(["exec-1"])["exec-1"].map(b.leaseIsHeld(by:)) == false)
        guard case .acquired(let taken) = try await b.acquireLease("exec-1", owner: "serve", ttl: 1) else {
            Issue.record("a lease 61 s after its last heartbeat, TTL 60 s, was not taken over")
            return
        }
        #expect(taken == token + 1)
        #expect(try a.leaseHolders(["exec-1"])["exec-1"]?.ttl == 1, "the taker's TTL is stored with its lease")
    }

    @Test("a holder with a short TTL is taken over after its own TTL, even by a process with a long one")
    func shortHolderExpiresForALongTaker() throws {
        let folder = try TemporaryFolder()
        let clock = ManualLedgerClock()
        let (a, b) = try twoHosts(folder, clock: clock)
        guard case .acquired(let token) = try a.acquireLease("exec-1", owner: "run", ttl: 2) else {
            Issue.record("a free lease was refused")
            return
        }
        clock.advance(by: 1.5)
        guard case .heldBy = try b.acquireLease("exec-1", owner: "serve", ttl: 3600) else {
            Issue.record("a lease within its holder's TTL was taken")
            return
        }
        clock.advance(by: 1)
        guard case .acquired(let taken) = try b.acquireLease("exec-1", owner: "serve", ttl: 3600) else {
            Issue.record("a lease 2.5 s after its last heartbeat, TTL 2 s, was not taken over by a 3600 s process")
            return
        }
        #expect(taken == token + 1)
        #expect(throws: LedgerError.leaseLost(stream: "exec-1")) {
            try a.append([try event("Late")], to: "exec-1", precondition: EventStore.fence("exec-1", token: token))
        }
    }

    @Test("a heartbeat renews the lease with the TTL its holder chose")
    func heartbeatsKeepTheTTL() async throws {
        let folder = try TemporaryFolder()
        let clock = ManualLedgerClock()
        let (a, b) = try twoHosts(folder, clock: clock)
        guard case .acquired = try await a.acquireLease("exec-1", owner: "serve", ttl: 5) else {
            Issue.record("a free lease was refused")
            return
        }
        clock.advance(by: 4)
        #expect(try await a.heartbeatLeases(coveredWithin: .zero) == [])
        clock.advance(by: 4)
        guard case .heldBy(let holder) = try await b.acquireLease("exec-1", owner: "serve", ttl: 0) else {
            Issue.record("a lease renewed 4 s ago, TTL 5 s, was taken")
            return
        }
        #expect(holder.ttl == 5 && holder.age == 4)
        clock.advance(by: 2)
        guard case .acquired = try await b.acquireLease("exec-1", owner: "serve", ttl: 0) else {
            Issue.record("a lease renewed 6 s ago, TTL 5 s, was not taken over")
            return
        }
    }

    @Test("a TTL that is negative or not a number is refused")
    func badTTLsAreRefused() async throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        for ttl in [-1, .nan, .infinity] {
            await #expect(throws: LedgerError.self) { try await store.acquireLease("exec-1", owner: "x", ttl: ttl) }
            #expect(throws: LedgerError.self) { try store.acquireLease("exec-1", owner: "x", ttl: ttl) }
        }
        #expect(try store.leaseHolders(["exec-1"]).isEmpty)
    }

    @Test("leases stored before TTLs were get the default TTL when the ledger is migrated")
    func migratedLeasesGetTheDefault() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        let clock = ManualLedgerClock()
        do {
            _ = try EventStore(path: path)
        }
        // The ledger as the previous schema left it, with a lease another host holds.
        let now = clock.read().timeIntervalSince1970
        #expect(
            rawSQL(
                path,
                """
                DROP TABLE request_budget;
                ALTER TABLE leases DROP COLUMN ttl;
                DELETE FROM schema_migrations WHERE version >= 6;
                PRAGMA user_version = 5;
                INSERT INTO leases(stream, token, owner, pid, host, heartbeat_at, released)
                VALUES ('exec-1', 3, 'serve', 4242, 'elsewhere.example', \(now - 9), 0);
                """) == nil)
        let store = try EventStore(path: path, options: .init(clock: clock.read))
        #expect(rawInteger(path, "PRAGMA user_version") == Int64(Schema.latestVersion))
        let holder = try #require(try store.leaseHolders(["exec-1"])["exec-1"])
        #expect(holder.ttl == EventStore.leaseTTL && holder.token == 3)
        #expect(store.leaseIsHeld(by: holder))
        clock.advance(by: 2)
        #expect(try store.leaseHolders(["exec-1"])["exec-1"].map(store.leaseIsHeld(by:)) == false)
    }
}
