import Foundation
import Ledger
import PostgresNIO
import Synchronization

/// One connection to PostgreSQL used from a plain thread: every call blocks until the server answers (it waits on
/// the connection's event loop, so it must never be made from an event loop thread).
final class BlockingConnection: @unchecked Sendable {
    let url: PostgresURL
    private let connection: PostgresConnection
    private let logger = quietLogger()
    /// Whether this session has the function that writes a group of appends in one statement
    /// (`PostgresRecord.oneStatementFunction`).
    var appendsInOneStatement = false

    private init(url: PostgresURL, connection: PostgresConnection) {
        self.url = url
        self.connection = connection
    }

    /// Connects to `url`; throws `PostgresLedgerError`.
    static func connect(_ url: PostgresURL, operation: String) throws -> BlockingConnection {
        do {
            let connecting = PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: try url.connectionConfiguration(),
                id: 0, logger: quietLogger())
            let connection = try answer(of: connecting, within: connectLimit, operation: operation, url: url)
            return BlockingConnection(url: url, connection: connection)
        } catch {
            throw PostgresLedgerError.wrap(error, url: url, operation: operation)
        }
    }

    /// How long a connection may take to open.
    static let connectLimit: TimeAmount = .seconds(15)
    /// How long a statement may go unanswered before the connection is taken for broken (the driver may never
    /// answer one sent as the server went away); the caller then opens a new connection and tries again.
    static let answerLimit: TimeAmount = .seconds(10)
    /// The same for a statement that waits for the append lock: longer than any holder keeps it (a session left
    /// idle in a transaction ends after 60 s).
    static let lockWaitLimit: TimeAmount = .seconds(90)

    /// Waits for `future`, at most `limit`: a future the driver never completes (a connection that went away at the
    /// wrong moment) must not hold the ledger's writer forever. Past the limit, throws a connection error.
    static func answer<T: Sendable>(
        of future: EventLoopFuture<T>, within limit: TimeAmount, operation: String, url: PostgresURL
    ) throws -> T {
        let loop = future.eventLoop
        let promise = loop.makePromise(of: T.self)
        // Whichever comes first completes the promise; the other finds it settled.
        let settled = Settled()
        let timer = loop.scheduleTask(in: limit) {
            guard settled.settle() else { return }
            promise.fail(
                PostgresLedgerError.connection(
                    url: url.description, operation: operation,
                    detail: "no answer within \(limit.nanoseconds / 1_000_000_000) s"))
        }
        future.whenComplete { result in
            guard settled.settle() else { return }
            timer.cancel()
            promise.completeWith(result)
        }
        return try promise.futureResult.wait()
    }

    /// Whether the connection broke (the server went away): it is of no further use.
    var isClosed: Bool { connection.isClosed }

    /// Runs one statement and returns its rows; throws `PostgresLedgerError` naming `operation`.
    @discardableResult
    func query(_ query: PostgresQuery, _ operation: String, within limit: TimeAmount = answerLimit) throws
        -> [PostgresRow]
    {
        try wait(for: connection.query(query, logger: logger), operation, within: limit).rows
    }

    /// The answer to one statement, within `answerLimit`; past it the connection is closed (it is of no further
    /// use) and a connection error thrown.
    private func wait(
        for future: EventLoopFuture<PostgresQueryResult>, _ operation: String, within limit: TimeAmount = answerLimit
    ) throws -> PostgresQueryResult {
        do {
            return try Self.answer(of: future, within: limit, operation: operation, url: url)
        } catch let error as PostgresLedgerError {
            if case .connection = error {
                let closing: EventLoopFuture<Void> = connection.close()
                _ = closing
            }
            throw error
        } catch {
            throw PostgresLedgerError.wrap(error, url: url, operation: operation)
        }
    }

    /// Sends `statements` one after the other without waiting in between (the connection starts each as soon as
    /// the one before has answered, on its own thread), then waits for all of them; returns each one's rows.
    /// Throws the first failure, naming its operation.
    /// `waitsForLock` names the statement that may wait for the append lock (it gets `lockWaitLimit`).
    func pipeline(_ statements: [(query: PostgresQuery, operation: String)], waitsForLock: Int? = nil) throws
        -> [[PostgresRow]]
    {
        let results = pipelineResults(statements, waitsForLock: waitsForLock)
        if let failure = results.lazy.compactMap({ result -> (any Error)? in
            if case .failure(let error) = result { return error }
            return nil
        }).first {
            throw failure
        }
        return results.map { (try? $0.get()) ?? [] }
    }

    /// Like `pipeline`, but returns each statement's own result, failures included.
    func pipelineResults(_ statements: [(query: PostgresQuery, operation: String)], waitsForLock: Int? = nil)
        -> [Result<[PostgresRow], any Error>]
    {
        let futures = statements.map { connection.query($0.query, logger: logger) }
        return zip(futures, statements).enumerated().map { index, sent in
            let limit = index == waitsForLock ? Self.lockWaitLimit : Self.answerLimit
            return Result { try wait(for: sent.0, sent.1.operation, within: limit).rows }
        }
    }

    /// Runs one statement and returns how many rows it changed.
    func execute(_ query: PostgresQuery, _ operation: String) throws -> Int {
        try wait(for: connection.query(query, logger: logger), operation).metadata.rows ?? 0
    }

    /// Closes the connection, waiting a little for it to go (a connection that does not answer is left to its
    /// event loop).
    func close() {
        let closing: EventLoopFuture<Void> = connection.close()
        _ = try? Self.answer(of: closing, within: .seconds(5), operation: "close", url: url)
    }
}

/// Settled once, by whichever of two callbacks comes first.
private final class Settled: Sendable {
    private let done = Mutex(false)

    /// True for the first caller only.
    func settle() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
