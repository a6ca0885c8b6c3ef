import Foundation
import Ledger
import PostgresLedger
import PostgresNIO
import Testing

/// The PostgreSQL server the tests use, named by `BATCHLEDGER_TEST_POSTGRES`; each test gets a database of its own.
enum PostgresTestServer {
    static let variable = "BATCHLEDGER_TEST_POSTGRES"
    static let url = ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    static var isAvailable: Bool { url != nil }
    static let skipReason = """
        the PostgreSQL ledger tests need a server: set \(variable)=postgres://postgres@127.0.0.1:PORT/postgres \
        (a role that may create databases and roles; see the README's PostgreSQL section for a throw-away cluster)
        """

    /// A new, empty database on the test server; its URL.
    static func freshDatabase() async throws -> String {
        let base = try #require(url)
        let name = "batchledger_test_\(UInt64.random(in: 0 ... .max))"
        _ = try await asOwner(base) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: testLogger)
        }
        var components = try #require(URLComponents(string: base))
        components.path = "/\(name)"
        return try #require(components.string)
    }

    /// Runs `body` on a connection with the URL's own role (the owner of what the ledger creates).
    static func asOwner<T: Sendable>(_ text: String, _ body: @Sendable (PostgresConnection) async throws -> T)
        async throws -> T
    {
        let client = PostgresClient(configuration: try PostgresURL(text).clientConfiguration(maximumConnections: 1))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await client.withConnection { try await body($0) }
        }
    }

    /// Runs `body` on a connection working as the ledger's writer role, as the ledger's own connection does.
    static func asWriter<T: Sendable>(_ text: String, _ body: @Sendable (PostgresConnection) async throws -> T)
        async throws -> T
    {
        let client = PostgresClient(
            configuration: try PostgresURL(text).clientConfiguration(role: "batchledger_writer", maximumConnections: 1))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await client.withConnection { try await body($0) }
        }
    }

    /// Opens the store the engine writes through on a fresh database (its cache in a temporary folder), then runs
    /// `body` with it and the database's URL.
    static func withStore<T: Sendable>(
        clock: @escaping @Sendable () -> Date = { Date() }, _ body: (EventStore, String) async throws -> T
    ) async throws -> T {
        let url = try await freshDatabase()
        return try await withTemporaryFolder { folder in
            let store = try PostgresLedgerStore.open(
                url: url, options: .init(clock: clock, host: "a"), cacheFolder: folder.path)
            return try await body(store, url)
        }
    }

    /// Every event in the database at `url`, read there (not from a cache).
    static func databaseRows(_ url: String) throws -> [RecordedEvent] {
        let record = try PostgresRecord.open(url: url, readOnly: true, create: false)
        defer { record.close() }
        var rows: [RecordedEvent] = []
        while true {
            let page = try record.events(after: rows.last?.seq ?? 0, through: .max, limit: 500)
            guard !page.isEmpty else { return rows }
            rows += page
        }
    }

    /// `verify` run on the database at `url` itself.
    static func verifyDatabase(_ url: String, expectingHead anchor: ChainLink? = nil) throws
        -> PostgresVerificationReport
    {
        let record = try PostgresRecord.open(url: url, readOnly: true, create: false)
        defer { record.close() }
        return try record.verify(expectingHead: anchor)
    }
}

/// Runs whether or not a server is configured, so the PostgreSQL tests are never silently absent: without one it
/// prints why they were skipped, and fails when `BATCHLEDGER_REQUIRE_POSTGRES_TESTS=1` (CI) says they must run.
@Test func postgresLedgerTestsAreEnabledOrTheSkipIsTold() {
    if PostgresTestServer.isAvailable {
        return
    }
    print("PostgreSQL ledger tests skipped: \(PostgresTestServer.skipReason)")
    let required = ProcessInfo.processInfo.environment["BATCHLEDGER_REQUIRE_POSTGRES_TESTS"] == "1"
    #expect(!required, "BATCHLEDGER_REQUIRE_POSTGRES_TESTS=1 but \(PostgresTestServer.skipReason)")
}

/// A clock that always reads the same instant: two ledgers fed the same appends record the same times.
let fixedClock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_800_000_000.25) }

/// A temporary folder for SQLite ledgers, removed after `body`.
func withTemporaryFolder<T>(_ body: (URL) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgledger-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try await body(folder)
}

/// The driver's logger, quiet below errors.
let testLogger: Logger = {
    var logger = Logger(label: "batchledger.postgres.tests")
    logger.logLevel = .error
    return logger
}()

func event(_ type: String, _ payload: String) -> NewEvent {
    NewEvent(type: type, payload: Data(payload.utf8))
}
