import Foundation
import Ledger
import PostgresLedger
import PostgresNIO
import Synchronization
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
        try await asOwner(base) { connection in
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

    /// Opens a store on a fresh database; closes it after `body`.
    static func withStore<T: Sendable>(
        clock: @escaping @Sendable () -> Date = { Date() }, _ body: (PostgresEventStore, String) async throws -> T
    ) async throws -> T {
        let url = try await freshDatabase()
        let store = try await PostgresEventStore.open(url: url, clock: clock)
        do {
            let result = try await body(store, url)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
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

/// A clock that ticks one microsecond per reading, from a fixed instant: two ledgers fed the same appends record
/// the same times.
final class TickingClock: Sendable {
    private let readings = Mutex<Int>(0)

    func now() -> Date {
        let tick = readings.withLock { value -> Int in
            value += 1
            return value
        }
        return Date(timeIntervalSince1970: 1_800_000_000 + Double(tick) / 1_000_000)
    }
}

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
