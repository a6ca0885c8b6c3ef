import Foundation

/// Allowances of calls per minute kept in the ledger (Cloud Logging's reads of one project), so that every
/// process writing to it keeps to one allowance together: the `serve` replicas of a PostgreSQL ledger, or the
/// processes sharing one ledger file. Taking a call is one short transaction, serialised per allowance with every
/// other taker, that counts the calls of the last window by the ledger's clock (the database's, for PostgreSQL)
/// and records the new one, or says how long until the oldest that counts ages out.
extension EventStore {
    /// Takes one call from the allowance `scope` of `perMinute` calls in any `window`: nil when taken, else how
    /// long until one may be (nothing is taken then).
    ///
    /// For a ledger file, the take joins the writer thread's next group transaction (`BEGIN IMMEDIATE`, which
    /// serialises it with every other process's writes) and the window is read on the store's clock. For a ledger
    /// of record, it runs on a thread of its own in a transaction of its own, under the allowance's lock.
    public func takeRequest(from scope: String, perMinute: Int, window: Duration = .seconds(60))
        async throws(LedgerError) -> Duration?
    {
        guard !scope.isEmpty, scope.utf8.count <= 512 else {
            throw .invalidArgument("an allowance's name must be 1 to 512 bytes long")
        }
        guard perMinute >= 1 else {
            throw .invalidArgument("an allowance must allow at least one call, not \(perMinute)")
        }
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        guard seconds > 0 else {
            throw .invalidArgument("an allowance's window must be longer than 0 s")
        }
        if options.readOnly {
            throw .readOnly(path: name, detail: "opened read-only")
        }
        let wait: Double?
        if let record = options.record {
            wait = try await BlockingCall.run("batchledger request budget") { () throws(LedgerError) in
                try record.takeRequest(scope, perMinute: perMinute, window: seconds)
            }
        } else {
            let write = PendingWrite { (connection, now) throws(LedgerError) -> Double? in
                try Self.takeRequest(
                    scope, perMinute: perMinute, window: seconds, now: now.timeIntervalSince1970, connection)
            }
            writer.enqueue(.write(write))
            wait = try await write.result()
        }
        return wait.map { .milliseconds(Int64(($0 * 1000).rounded(.up))) }
    }

    /// Inside the writer's transaction: forgets the calls older than the window, and takes one unless `perMinute`
    /// remain; the seconds to wait otherwise.
    private static func takeRequest(
        _ scope: String, perMinute: Int, window: Double, now: Double, _ connection: Connection
    ) throws(LedgerError) -> Double? {
        let forget = try connection.statement("DELETE FROM request_budget WHERE scope = ? AND taken_at <= ?")
        forget.bind(1, scope)
        forget.bind(2, now - window)
        _ = try forget.step()
        // The perMinute-th most recent call that counts: while there is one, the allowance is spent until it
        // ages out.
        let spent = try connection.statement(
            "SELECT taken_at FROM request_budget WHERE scope = ? ORDER BY taken_at DESC LIMIT 1 OFFSET ?")
        spent.bind(1, scope)
        spent.bind(2, Int64(perMinute - 1))
        defer { spent.reset() }
        if try spent.step() {
            return max(0, spent.double(0) + window - now)
        }
        let take = try connection.statement("INSERT INTO request_budget(scope, taken_at) VALUES (?, ?)")
        take.bind(1, scope)
        take.bind(2, now)
        _ = try take.step()
        return nil
    }
}

/// Blocking work (a call that waits on another server) run on a thread of its own, so that no Swift cooperative
/// thread waits on it.
enum BlockingCall {
    static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws(LedgerError) -> T)
        async throws(LedgerError) -> T
    {
        let answer = WriterAnswer<T>()
        let thread = Thread {
            do throws(LedgerError) {
                answer.give(.success(try body()))
            } catch {
                answer.give(.failure(error))
            }
        }
        thread.name = name
        thread.start()
        return try await answer.wait().get()
    }
}
