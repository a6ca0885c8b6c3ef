import Foundation
import PostgresNIO

/// What can go wrong with a PostgreSQL ledger, phrased so that the user knows what failed and what to do. Bound
/// values and passwords are never part of a description.
public enum PostgresLedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ledger URL cannot be used.
    case badURL(String)
    /// The server refused or failed a statement: its SQLSTATE and message, and what the ledger was doing.
    case server(url: String, operation: String, sqlState: String, message: String)
    /// The server cannot be reached, or the connection broke.
    case connection(url: String, operation: String, detail: String)
    /// A command that only reads was pointed at a database without the ledger's schema (nothing was created).
    case noLedger(url: String)
    /// The database holds a schema newer than this version knows.
    case newerSchema(url: String, found: Int, supported: Int)

    public var description: String {
        switch self {
        case .badURL(let detail):
            return "bad PostgreSQL ledger URL: \(detail)"
        case .server(let url, let operation, let sqlState, let message):
            return "\(url): \(operation) failed: \(message) (SQLSTATE \(sqlState))"
        case .connection(let url, let operation, let detail):
            return "\(url): \(operation): cannot talk to the server (\(detail)); check that PostgreSQL runs there "
                + "and that the URL's host, port, user and sslmode are right"
        case .noLedger(let url):
            return "no ledger in \(url): copy one there first (batchledger ledger copy FROM \(url))"
        case .newerSchema(let url, let found, let supported):
            return "\(url) was written by a newer BatchLedger (schema version \(found); this version knows up to "
                + "\(supported)); upgrade batchledger to use it"
        }
    }

    /// The SQLSTATE of a server error (nil for any other failure).
    public var sqlState: String? {
        if case .server(_, _, let state, _) = self { return state }
        return nil
    }

    /// Wraps whatever postgres-nio threw, keeping the server's SQLSTATE and message but never the query's binds.
    static func wrap(_ error: any Error, url: PostgresURL, operation: String) -> PostgresLedgerError {
        if let error = error as? PostgresLedgerError { return error }
        if let transaction = error as? PostgresTransactionError {
            let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError
            if let inner { return wrap(inner, url: url, operation: operation) }
        }
        if let psql = error as? PSQLError {
            if let fields = psql.serverInfo {
                return .server(
                    url: url.description, operation: operation, sqlState: fields[.sqlState] ?? "?????",
                    message: fields[.message] ?? "no message")
            }
            let cause = psql.underlying.map { ": \($0)" } ?? ""
            return .connection(url: url.description, operation: operation, detail: "\(psql.code)\(cause)")
        }
        return .connection(url: url.description, operation: operation, detail: String(describing: type(of: error)))
    }
}
