import Foundation
import Ledger
import PostgresNIO

/// One connection to PostgreSQL used from a plain thread: every call blocks until the server answers (it waits on
/// the connection's event loop, so it must never be made from an event loop thread).
final class BlockingConnection: @unchecked Sendable {
    let url: PostgresURL
    private let connection: PostgresConnection
    private let logger = quietLogger()

    private init(url: PostgresURL, connection: PostgresConnection) {
        self.url = url
        self.connection = connection
    }

    /// Connects to `url`; throws `PostgresLedgerError`.
    static func connect(_ url: PostgresURL, operation: String) throws -> BlockingConnection {
        do {
            let connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: try url.connectionConfiguration(),
                id: 0, logger: quietLogger()
            ).wait()
            return BlockingConnection(url: url, connection: connection)
        } catch {
            throw PostgresLedgerError.wrap(error, url: url, operation: operation)
        }
    }

    /// Whether the connection broke (the server went away): it is of no further use.
    var isClosed: Bool { connection.isClosed }

    /// Runs one statement and returns its rows; throws `PostgresLedgerError` naming `operation`.
    @discardableResult
    func query(_ query: PostgresQuery, _ operation: String) throws -> [PostgresRow] {
        do {
            return try connection.query(query, logger: logger).wait().rows
        } catch {
            throw PostgresLedgerError.wrap(error, url: url, operation: operation)
        }
    }

    /// Sends `statements` one after the other without waiting in between (the connection starts each as soon as
    /// the one before has answered, on its own thread), then waits for all of them; returns each one's rows.
    /// Throws the first failure, naming its operation.
    func pipeline(_ statements: [(query: PostgresQuery, operation: String)]) throws -> [[PostgresRow]] {
        let futures = statements.map { connection.query($0.query, logger: logger) }
        var results: [[PostgresRow]] = []
        var failure: (any Error)?
        for (future, statement) in zip(futures, statements) {
            do {
                results.append(try future.wait().rows)
            } catch {
                if failure == nil {
                    failure = PostgresLedgerError.wrap(error, url: url, operation: statement.operation)
                }
                results.append([])
            }
        }
        if let failure { throw failure }
        return results
    }

    /// Runs one statement and returns how many rows it changed.
    func execute(_ query: PostgresQuery, _ operation: String) throws -> Int {
        do {
            return try connection.query(query, logger: logger).wait().metadata.rows ?? 0
        } catch {
            throw PostgresLedgerError.wrap(error, url: url, operation: operation)
        }
    }

    func close() {
        try? connection.close().wait()
    }
}
