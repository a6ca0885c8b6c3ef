import Foundation
import Ledger
import PostgresLedger
import PostgresNIO
import Testing

// Skipped without BATCHLEDGER_TEST_POSTGRES (see PostgresTestServer.skipReason); `.ci/run` starts a throw-away
// cluster and sets it. Serialized: the writer role is the cluster's, and the cluster is small.
/// The PostgreSQL ledger as the engine writes it (`PostgresLedgerStore`: the record's group commit behind
/// `EventStore`), checked in the database itself.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgresLedgerStoreTests {
    @Test func appendedEventsReadBackAsWritten() async throws {
        try await PostgresTestServer.withStore { store, url in
            let first = try await store.append(
                [event("Started", #"{"a":1}"#), event("Step", #"{"b":2}"#)], to: "exec-1", expectedVersion: .noStream)
            try await store.append([event("Started", #"{"c":3}"#)], to: "exec-2")
            try await store.append([event("Done", "{}")], to: "exec-1", expectedVersion: .exactly(2))
            #expect(first.events.map(\.seq) == [1, 2])
            #expect(first.events[1].prevHash == first.events[0].hash)
            let stream = try store.events(in: "exec-1")
            #expect(stream.map(\.version) == [1, 2, 3])
            #expect(stream.map(\.type) == ["Started", "Step", "Done"])
            #expect(stream[0] == first.events[0])
            #expect(try store.lastSeq() == 4)
            #expect(try store.streams() == ["exec-1", "exec-2"])
            #expect(try store.currentVersion(of: "exec-1") == 3)
            var after: [RecordedEvent] = []
            try store.readAll(after: 2) { after.append($0) }
            #expect(after.map(\.seq) == [3, 4])
            // The database holds what the cache read back.
            let inDatabase = try PostgresTestServer.databaseRows(url)
            #expect(inDatabase.map(\.seq) == [1, 2, 3, 4])
            #expect(Array(inDatabase.suffix(2)) == after)
            let report = try PostgresTestServer.verifyDatabase(url)
            #expect(report.isValid)
            #expect(report.head == ChainLink(seq: 4, hash: after[1].hash))
            #expect(try store.verify().head == report.head)
        }
    }

    @Test func hashesAreByteIdenticalToSQLitesForTheSameEvents() async throws {
        try await withTemporaryFolder { folder in
            let sqlite = try EventStore(
                path: folder.appendingPathComponent("same.ledger").path, options: .init(clock: fixedClock))
            try await PostgresTestServer.withStore(clock: fixedClock) { store, url in
                let appends: [(String, [NewEvent])] = [
                    ("exec-a", [event("Started", #"{"flow":"x"}"#), event("TaskRendered", #"{"digest":"ab"}"#)]),
                    ("exec-b", [event("Started", #"{"flow":"y"}"#)]),
                    ("exec-a", [event("JobCreated", #"{"name":"j-1","uid":"u"}"#)]),
                    ("exec-b", [event("Ünïcode", #"{"text":"é ✓"}"#), event("Done", "{}")]),
                ]
                for (stream, events) in appends {
                    let inSQLite = try await sqlite.append(events, to: stream)
                    let inPostgres = try await store.append(events, to: stream)
                    #expect(inPostgres.events == inSQLite.events)
                }
                var fromSQLite: [RecordedEvent] = []
                try sqlite.readAll { fromSQLite.append($0) }
                let fromPostgres = try PostgresTestServer.databaseRows(url)
                #expect(fromPostgres.count == 6)
                #expect(fromPostgres == fromSQLite)
                #expect(try PostgresTestServer.verifyDatabase(url).head == (try sqlite.verify().head))
            }
        }
    }

    @Test func seqHasNoGapsUnderConcurrentAppendersOnTwoHosts() async throws {
        try await PostgresTestServer.withStore { store, url in
            try await withTemporaryFolder { folder in
                // A second store on the same database, with a cache of its own, stands for another host.
                let other = try PostgresLedgerStore.open(
                    url: url, options: .init(host: "b"), cacheFolder: folder.path)
                let tasks = 20
                let appendsPerTask = 50
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in 0..<tasks {
                        let target = task.isMultiple(of: 2) ? store : other
                        group.addTask {
                            for index in 0..<appendsPerTask {
                                try await target.append(
                                    [event("Tick", #"{"i":\#(index)}"#)], to: "stream-\(task % 5)")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let seqs = try PostgresTestServer.databaseRows(url).map(\.seq)
                #expect(seqs == Array(1...Int64(tasks * appendsPerTask)))
                let report = try PostgresTestServer.verifyDatabase(url)
                #expect(report.isValid)
                #expect(report.eventsChecked == Int64(tasks * appendsPerTask))
                for host in [store, other] {
                    #expect(try host.catchUp() == Int64(tasks * appendsPerTask))
                    for stream in 0..<5 {
                        #expect(try host.currentVersion(of: "stream-\(stream)") == Int64(tasks / 5 * appendsPerTask))
                    }
                }
            }
        }
    }

    @Test func theWriterRoleCannotUpdateDeleteOrTruncate() async throws {
        try await PostgresTestServer.withStore { store, url in
            try await store.append([event("Started", "{}")], to: "exec-1")
            for statement in [
                "UPDATE events SET type = 'Forged'", "DELETE FROM events", "TRUNCATE events",
                "ALTER TABLE events DISABLE TRIGGER events_refuse_update", "DROP TABLE events",
            ] {
                // 42501: insufficient_privilege; 42501 too for "must be owner of table events".
                do {
                    _ = try await PostgresTestServer.asWriter(url) { connection in
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: testLogger)
                    }
                    Issue.record("\(statement) was not refused")
                } catch let error as PSQLError {
                    #expect(error.serverInfo?[.sqlState] == "42501", "\(statement): \(String(reflecting: error))")
                }
            }
            #expect(try PostgresTestServer.databaseRows(url).map(\.type) == ["Started"])
        }
    }

    @Test func triggersRefuseUpdateDeleteAndTruncateForTheOwner() async throws {
        try await PostgresTestServer.withStore { store, url in
            try await store.append([event("Started", "{}")], to: "exec-1")
            for (statement, operation) in [
                ("UPDATE events SET type = 'Forged'", "UPDATE"), ("DELETE FROM events", "DELETE"),
                ("TRUNCATE events", "TRUNCATE"),
            ] {
                do {
                    _ = try await PostgresTestServer.asOwner(url) { connection in
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: testLogger)
                    }
                    Issue.record("\(statement) was not refused")
                } catch let error as PSQLError {
                    #expect(error.serverInfo?[.message] == "events are immutable: \(operation) refused")
                }
            }
            #expect(try PostgresTestServer.databaseRows(url).map(\.type) == ["Started"])
            #expect(try PostgresTestServer.verifyDatabase(url).immutabilityTriggersPresent)
            #expect(try store.verify().immutabilityTriggersPresent)
        }
    }

    @Test func verifyInTheDatabaseFindsARowChangedBehindTheTriggersBack() async throws {
        try await PostgresTestServer.withStore { store, url in
            for index in 1...3 {
                try await store.append([event("Step", #"{"i":\#(index)}"#)], to: "exec-1")
            }
            let head = try PostgresTestServer.verifyDatabase(url).head
            #expect(try PostgresTestServer.verifyDatabase(url, expectingHead: head).isValid)
            _ = try await PostgresTestServer.asOwner(url) { connection in
                for statement in [
                    "ALTER TABLE events DISABLE TRIGGER events_refuse_update",
                    "UPDATE events SET payload = convert_to('{\"i\":9}', 'UTF8') WHERE seq = 2",
                    "ALTER TABLE events ENABLE TRIGGER events_refuse_update",
                ] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: testLogger)
                }
            }
            let report = try PostgresTestServer.verifyDatabase(url, expectingHead: head)
            #expect(!report.isValid)
            #expect(report.firstProblem?.seq == 2)
            #expect(report.immutabilityTriggersPresent)
        }
    }

    @Test func versionConflictsAndIdempotencyKeysBehaveAsOnSQLite() async throws {
        try await PostgresTestServer.withStore { store, url in
            try await store.append([event("Started", "{}")], to: "exec-1", expectedVersion: .noStream)
            await #expect(throws: LedgerError.versionConflict(stream: "exec-1", expected: .noStream, actual: 1)) {
                try await store.append([event("Started", "{}")], to: "exec-1", expectedVersion: .noStream)
            }
            await #expect(throws: LedgerError.versionConflict(stream: "exec-1", expected: .exactly(3), actual: 1)) {
                try await store.append([event("Step", "{}")], to: "exec-1", expectedVersion: .exactly(3))
            }
            let first = try await store.append([event("Step", #"{"n":1}"#)], to: "exec-1", idempotencyKey: "k-1")
            let again = try await store.append([event("Step", #"{"n":1}"#)], to: "exec-1", idempotencyKey: "k-1")
            #expect(!first.replayed)
            #expect(again.replayed)
            #expect(again.events == first.events)
            await #expect(throws: LedgerError.idempotencyKeyReused(key: "k-1", stream: "exec-1")) {
                try await store.append([event("Step", #"{"n":2}"#)], to: "exec-1", idempotencyKey: "k-1")
            }
            #expect(try PostgresTestServer.databaseRows(url).count == 2)
            #expect(try PostgresTestServer.verifyDatabase(url).isValid)
        }
    }

    @Test func readingADatabaseWithoutALedgerCreatesNothing() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        #expect(throws: PostgresLedgerError.self) {
            try PostgresRecord.open(url: url, readOnly: true)
        }
        #expect(throws: PostgresLedgerError.self) {
            try PostgresRecord.open(url: url, create: false)
        }
        let tables = try await PostgresTestServer.asOwner(url) { connection in
            try await connection.query(
                "SELECT count(*)::bigint FROM pg_tables WHERE schemaname = 'public'", logger: testLogger
            ).collect().first?.decode(Int64.self)
        }
        #expect(tables == 0)
    }

    @Test func migrationIsRecordedInTheSameSequenceAndRunsOnce() async throws {
        try await PostgresTestServer.withStore { _, url in
            try PostgresRecord.open(url: url).close()
            let versions = try await PostgresTestServer.asOwner(url) { connection in
                var versions: [Int64] = []
                for try await row in try await connection.query(
                    "SELECT version FROM schema_migrations ORDER BY version", logger: testLogger)
                {
                    versions.append(try row.decode(Int64.self))
                }
                return versions
            }
            #expect(versions == [1, 2, 3, 4, 5, 6, 7])
        }
    }
}
