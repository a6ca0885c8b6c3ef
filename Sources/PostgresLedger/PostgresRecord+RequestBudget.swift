import Foundation
import Ledger
import PostgresNIO

/// Request allowances on PostgreSQL: each take is one transaction of its own under the allowance's advisory lock,
/// so that the takers of every host are served one at a time, and the database's clock says which calls still
/// count (hosts' clocks may differ).
extension PostgresRecord {
    public func takeRequest(_ scope: String, perMinute: Int, window: Double) throws(LedgerError) -> Double? {
        let operation = "take a call from the allowance \(scope)"
        return try withConnection(operation) { connection in
            try connection.query("BEGIN ISOLATION LEVEL READ COMMITTED", operation)
            do {
                try connection.query(
                    "SELECT pg_advisory_xact_lock(\(PostgresSchema.requestBudgetLockClass), hashtext(\(scope)))",
                    operation, within: BlockingConnection.lockWaitLimit)
                // The calls that no longer count are forgotten; the perMinute-th most recent of those that do, while
                // there is one, says how long until the allowance has room again.
                _ = try connection.execute(
                    """
                    DELETE FROM request_budget
                    WHERE scope = \(scope) AND taken_at <= extract(epoch FROM clock_timestamp())::float8 - \(window)
                    """, operation)
                let spent = try connection.query(
                    """
                    SELECT taken_at + \(window) - extract(epoch FROM clock_timestamp())::float8
                    FROM request_budget WHERE scope = \(scope)
                    ORDER BY taken_at DESC LIMIT 1 OFFSET \(Int64(perMinute - 1))
                    """, operation
                ).first?.decode(Double.self)
                if spent == nil {
                    try connection.query(
                        """
                        INSERT INTO request_budget(scope, taken_at)
                        VALUES (\(scope), extract(epoch FROM clock_timestamp())::float8)
                        """, operation)
                }
                try connection.query("COMMIT", operation)
                return spent.map { max(0, $0) }
            } catch {
                _ = try? connection.query("ROLLBACK", operation)
                throw error
            }
        }
    }
}
