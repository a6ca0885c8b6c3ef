import Foundation
import Ledger
import PostgresLedger
import Testing

/// `LedgerCopy` between SQLite files and PostgreSQL ledgers, written through the store the engine writes with.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
struct LedgerCopyTests {
    @Test func aWholeLedgerCopiesFromSQLiteToPostgresAndBackWithTheSameHead() async throws {
        try await withTemporaryFolder { folder in
            let source = try EventStore(path: folder.appendingPathComponent("source.ledger").path)
            for index in 0..<30 {
                try await source.append([event("Tick", #"{"i":\#(index)}"#)], to: "exec-\(index % 4)")
            }
            let sourceKey = try source.secretDigestKey()
            let sourceReport = try source.verify()
            try await PostgresTestServer.withStore { store, url in
                let there = try LedgerCopy.copy(from: .store(source), to: store, batchSize: 7)
                #expect(there.eventsCopied == 30)
                #expect(there.head == sourceReport.head)
                let postgresReport = try PostgresTestServer.verifyDatabase(url)
                #expect(postgresReport.isValid)
                #expect(postgresReport.head == sourceReport.head)
                // The cache took the copied rows too.
                let cacheReport = try store.verify()
                #expect(cacheReport.isValid)
                #expect(try store.lastSeq() == 30)

                // Read back straight from the database, without a cache.
                let record = try PostgresRecord.open(url: url, readOnly: true, create: false)
                defer { record.close() }
                let back = try EventStore(path: folder.appendingPathComponent("back.ledger").path)
                let returned = try LedgerCopy.copy(from: .record(record), to: back, batchSize: 11)
                #expect(returned.head == sourceReport.head)
                let backReport = try back.verify()
                #expect(backReport.isValid)
                #expect(backReport.head == sourceReport.head)
                var original: [RecordedEvent] = []
                try source.readAll { original.append($0) }
                var copied: [RecordedEvent] = []
                try back.readAll { copied.append($0) }
                #expect(copied == original)
                #expect(try record.ledgerKeys() == (try source.ledgerKeys()))
                #expect(
                    try back.secretDigestKey().hmacSHA256(Array("value".utf8))
                        == sourceKey.hmacSHA256(Array("value".utf8)))

                // Copying again finds everything there; a target with other events is refused.
                let again = try LedgerCopy.copy(from: .store(source), to: store)
                #expect(again.eventsCopied == 0 && again.eventsAlreadyPresent == 30)
                let other = try EventStore(path: folder.appendingPathComponent("other.ledger").path)
                try await other.append([event("Else", "{}")], to: "exec-x")
                #expect(throws: LedgerCopyError.targetDiverges(target: store.name, seq: 30)) {
                    try LedgerCopy.copy(from: .store(other), to: store)
                }
                #expect(try PostgresTestServer.databaseRows(url).count == 30)
            }
        }
    }

    @Test func aPostgresLedgerCopiesIntoAnotherDatabaseAndAnInterruptedCopyIsCompleted() async throws {
        try await PostgresTestServer.withStore { source, sourceURL in
            for index in 0..<12 {
                try await source.append([event("Tick", #"{"i":\#(index)}"#)], to: "exec-\(index % 3)")
            }
            let key = try source.secretDigestKey()
            let head = try PostgresTestServer.verifyDatabase(sourceURL).head
            let record = try PostgresRecord.open(url: sourceURL, readOnly: true, create: false)
            defer { record.close() }
            try await PostgresTestServer.withStore { target, targetURL in
                // An interrupted copy: the target holds the source's first five rows.
                let firstRows = try PostgresTestServer.databaseRows(sourceURL).prefix(5)
                try target.appendCopied(Array(firstRows))
                let report = try LedgerCopy.copy(from: .record(record), to: target, batchSize: 4)
                #expect(report.eventsAlreadyPresent == 5)
                #expect(report.eventsCopied == 7)
                #expect(report.head == head)
                let verified = try PostgresTestServer.verifyDatabase(targetURL, expectingHead: head)
                #expect(verified.isValid)
                #expect(verified.head == head)
                #expect(
                    try PostgresTestServer.databaseRows(targetURL) == (try PostgresTestServer.databaseRows(sourceURL)))
                #expect(try target.verify(expectingHead: head).isValid)
                #expect(try target.secretDigestKey().hmacSHA256([7]) == key.hmacSHA256([7]))
            }
        }
    }
}
