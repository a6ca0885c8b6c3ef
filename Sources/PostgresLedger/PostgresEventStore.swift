import Foundation
import Ledger
import PostgresNIO
import Primitives

/// The append-only event ledger on PostgreSQL: the SQLite ledger's `events` table, chains and migrations, in
/// schema `public` of a database that several hosts can share.
///
/// Opening migrates with the URL's role (which may create objects), creates the role `batchledger_writer` if it
/// is missing, and from then on every pooled connection works as that role (`SET ROLE` at connection start):
/// it may INSERT and SELECT on `events` and owns nothing, so even this process cannot UPDATE, DELETE or
/// TRUNCATE a recorded event. Triggers refuse those too, for the owner. Appends are serialised by a transaction-
/// level advisory lock held from reading the chain's tail to commit, so `seq` has no gaps under writers on
/// several hosts.
public final class PostgresEventStore: Sendable {
    /// The database, without its password.
    public let url: PostgresURL
    let client: PostgresClient
    let clock: @Sendable () -> Date
    let logger: Logger
    private let running: Task<Void, Never>

    private init(url: PostgresURL, client: PostgresClient, clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.url = url
        self.client = client
        self.clock = clock
        self.logger = logger
        running = Task { await client.run() }
    }

    /// Opens the ledger at `url` (`postgres://USER@HOST:PORT/DB`), migrating it first unless `readOnly`.
    ///
    /// - Parameters:
    ///   - readOnly: neither migrate nor create anything; a database without the ledger's schema is
    ///     `PostgresLedgerError.noLedger`.
    ///   - clock: the time recorded in `recorded_at`.
    ///   - maximumConnections: the pool's size; concurrent appends queue on the append lock anyway.
    public static func open(
        url text: String, readOnly: Bool = false, clock: @escaping @Sendable () -> Date = { Date() },
        maximumConnections: Int = 8
    ) async throws -> PostgresEventStore {
        let url = try PostgresURL(text)
        let logger = quietLogger()
        let role = try preparedRole(url: url, readOnly: readOnly, now: Timestamp.rfc3339(clock()))
        let client = PostgresClient(
            configuration: url.clientConfiguration(role: role, maximumConnections: maximumConnections))
        let store = PostgresEventStore(url: url, client: client, clock: clock, logger: logger)
        // The first pooled connection proves that the URL's role may switch to the writer role.
        _ = try await store.lastSeq()
        return store
    }

    /// Checks the schema's version and migrates it (unless `readOnly`) on a connection of its own; the role
    /// pooled connections switch to (nil when the URL's role is the writer role itself).
    private static func preparedRole(url: PostgresURL, readOnly: Bool, now: String) throws -> String? {
        let connection = try BlockingConnection.connect(url, operation: "open the ledger")
        defer { connection.close() }
        return try PostgresSchema.prepare(connection, readOnly: readOnly, now: now)
    }

    /// Stops the connection pool. Appends after this fail.
    public func close() async {
        running.cancel()
        _ = await running.value
    }

    deinit {
        running.cancel()
    }

    /// Runs `body` in one transaction on a pooled connection; errors other than `LedgerError` come out as
    /// `PostgresLedgerError`, without bound values.
    func transaction<T: Sendable>(
        _ operation: String, _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { [logger] connection in
                // READ COMMITTED whatever the database's default: statements after the append lock read what
                // every earlier holder committed.
                try await connection.query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", logger: logger)
                return try await body(connection)
            }
        } catch {
            throw Self.unwrap(error, url: url, operation: operation)
        }
    }

    /// Runs `body` on a pooled connection, outside a transaction.
    func withConnection<T: Sendable>(
        _ operation: String, _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw Self.unwrap(error, url: url, operation: operation)
        }
    }

    /// Runs one statement as the store's role; for tests and tools that check what that role may do.
    package func execute(_ sql: String) async throws {
        try await withConnection("execute") { [logger] connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    private static func unwrap(_ error: any Error, url: PostgresURL, operation: String) -> any Error {
        if let ledger = error as? LedgerError { return ledger }
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError,
            let ledger = inner as? LedgerError
        {
            return ledger
        }
        return PostgresLedgerError.wrap(error, url: url, operation: operation)
    }
}

/// The driver logs queries at debug level; nothing below critical reaches the terminal.
func quietLogger() -> Logger {
    var logger = Logger(label: "batchledger.postgres")
    logger.logLevel = .critical
    return logger
}
