import Foundation
import Ledger
import PostgresLedger
import PostgresNIO
import Testing

// Skipped without BATCHLEDGER_TEST_POSTGRES (see PostgresTestServer.skipReason); `.ci/run` starts a throw-away
// cluster and sets it. Serialized: the writer role is the cluster's, and the cluster is small.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgresEventStoreTests {
    @Test func appendedEventsReadBackAsWritten() async throws {
        try await PostgresTestServer.withStore { store, _ in
            let first = try await store.append(
                [event("Started", #"{"a":1}"#), event("Step", #"{"b":2}"#)], to: "exec-1", expectedVersion: .noStream)
            try await store.append([event("Started", #"{"c":3}"#)], to: "exec-2")
            try await store.append([event("Done", "{}")], to: "exec-1", expectedVersion: .exactly(2))
            #expect(first.events.map(\.seq) == [1, 2])
            #expect(first.events[1].prevHash == first.events[0].hash)
            let stream = try await store.events(in: "exec-1")
            #expect(stream.map(\.version) == [1, 2, 3])
            #expect(stream.map(\.type) == ["Started", "Step", "Done"])
            #expect(stream[0] == first.events[0])
            #expect(try await store.lastSeq() == 4)
            #expect(try await store.streams() == ["exec-1", "exec-2"])
            #expect(try await store.currentVersion(of: "exec-1") == 3)
            var after: [RecordedEvent] = []
            try await store.readAll(after: 2) { after += $0 }
            #expect(after.map(\.seq) == [3, 4])
            let report = try await store.verify()
            #expect(report.isValid)
            #expect(report.head == ChainLink(seq: 4, hash: after[1].hash))
        }
    }

    @Test func hashesAreByteIdenticalToSQLitesForTheSameEvents() async throws {
        try await withTemporaryFolder { folder in
            let sqliteClock = TickingClock()
            let postgresClock = TickingClock()
            let sqlite = try EventStore(
                path: folder.appendingPathComponent("same.ledger").path,
                options: .init(clock: { sqliteClock.now() }))
            try await PostgresTestServer.withStore(clock: { postgresClock.now() }) { store, _ in
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
                var fromPostgres: [RecordedEvent] = []
                try await store.readAll { fromPostgres += $0 }
                var fromSQLite: [RecordedEvent] = []
                try sqlite.readAll { fromSQLite.append($0) }
                #expect(fromPostgres.count == 6)
                #expect(fromPostgres == fromSQLite)
                #expect(try await store.verify().head == (try sqlite.verify().head))
            }
        }
    }

    @Test func seqHasNoGapsUnderConcurrentAppenders() async throws {
        try await PostgresTestServer.withStore { store, url in
            // A second store on the same database stands for another host.
            let other = try await PostgresEventStore.open(url: url)
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
            await other.close()
            var seqs: [Int64] = []
            try await store.readAll { seqs += $0.map(\.seq) }
            #expect(seqs == Array(1...Int64(tasks * appendsPerTask)))
            let report = try await store.verify()
            #expect(report.isValid)
            #expect(report.eventsChecked == Int64(tasks * appendsPerTask))
            for stream in 0..<5 {
                #expect(try await store.currentVersion(of: "stream-\(stream)") == Int64(tasks / 5 * appendsPerTask))
            }
        }
    }

    @Test func theStoresRoleCannotUpdateDeleteOrTruncate() async throws {
        try await PostgresTestServer.withStore { store, _ in
            try await store.append([event("Started", "{}")], to: "exec-1")
            for statement in [
                "UPDATE events SET type = 'Forged'", "DELETE FROM events", "TRUNCATE events",
                "ALTER TABLE events DISABLE TRIGGER events_refuse_update", "DROP TABLE events",
            ] {
                let error = await #expect(throws: PostgresLedgerError.self, "\(statement)") {
                    try await store.execute(statement)
                }
                // 42501: insufficient_privilege; 42501 too for "must be owner of table events".
                #expect(error?.sqlState == "42501", "\(statement): \(String(describing: error))")
            }
            #expect(try await store.events(in: "exec-1").map(\.type) == ["Started"])
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
                    try await PostgresTestServer.asOwner(url) { connection in
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: testLogger)
                    }
                    Issue.record("\(statement) was not refused")
                } catch let error as PSQLError {
                    #expect(error.serverInfo?[.message] == "events are immutable: \(operation) refused")
                }
            }
            #expect(try await store.events(in: "exec-1").map(\.type) == ["Started"])
            #expect(try await store.verify().immutabilityTriggersPresent)
        }
    }

    @Test func versionConflictsAndIdempotencyKeysBehaveAsOnSQLite() async throws {
        try await PostgresTestServer.withStore { store, _ in
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
            #expect(try await store.lastSeq() == 2)
            #expect(try await store.verify().isValid)
        }
    }

    @Test func readingADatabaseWithoutALedgerCreatesNothing() async throws {
        let url = try await PostgresTestServer.freshDatabase()
        await #expect(throws: PostgresLedgerError.self) {
            try await PostgresEventStore.open(url: url, readOnly: true)
        }
        let tables = try await PostgresTestServer.asOwner(url) { connection in
            try await connection.query(
                "SELECT count(*)::bigint FROM pg_tables WHERE schemaname = 'public'", logger: testLogger
            ).collect().first?.decode(Int64.self)
        }
        #expect(tables == 0)
    }

    @Test func migrationIsRecordedInTheSameSequenceAndRunsOnce() async throws {
        try await PostgresTestServer.withStore { store, url in
            let reopened = try await PostgresEventStore.open(url: url)
            await reopened.close()
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

    @Test func aWholeLedgerCopiesFromSQLiteToPostgresAndBackWithTheSameHead() async throws {
        try await withTemporaryFolder { folder in
            let source = try EventStore(path: folder.appendingPathComponent("source.ledger").path)
            for index in 0..<30 {
                try await source.append([event("Tick", #"{"i":\#(index)}"#)], to: "exec-\(index % 4)")
            }
            let sourceKey = try source.secretDigestKey()
            let sourceReport = try source.verify()
            try await PostgresTestServer.withStore { store, _ in
                let there = try await LedgerCopy.copy(from: .sqlite(source), to: .postgres(store), batchSize: 7)
                #expect(there.eventsCopied == 30)
                #expect(there.head == sourceReport.head)
                let postgresReport = try await store.verify()
                #expect(postgresReport.isValid)
                #expect(postgresReport.head == sourceReport.head)

                let back = try EventStore(path: folder.appendingPathComponent("back.ledger").path)
                let returned = try await LedgerCopy.copy(from: .postgres(store), to: .sqlite(back), batchSize: 11)
                #expect(returned.head == sourceReport.head)
                let backReport = try back.verify()
                #expect(backReport.isValid)
                #expect(backReport.head == sourceReport.head)
                var original: [RecordedEvent] = []
                try source.readAll { original.append($0) }
                var copied: [RecordedEvent] = []
                try back.readAll { copied.append($0) }
                #expect(copied == original)
                #expect(try await store.ledgerKeys() == (try source.ledgerKeys()))
                #expect(
                    try back.secretDigestKey().hmacSHA256(Array("value".utf8))
                        == sourceKey.hmacSHA256(Array("value".utf8)))

                // Copying again finds everything there; a target with other events is refused.
                let again = try await LedgerCopy.copy(from: .sqlite(source), to: .postgres(store))
                #expect(again.eventsCopied == 0 && again.eventsAlreadyPresent == 30)
                let other = try EventStore(path: folder.appendingPathComponent("other.ledger").path)
                try await other.append([event("Else", "{}")], to: "exec-x")
                await #expect(throws: LedgerCopyError.self) {
                    try await LedgerCopy.copy(from: .sqlite(other), to: .postgres(store))
                }
            }
        }
    }
}
