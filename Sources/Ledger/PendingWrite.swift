import Foundation
import Synchronization

/// A write other than an append (a lease taken, renewed or given up) that the ledger's writer thread runs inside
/// its next group transaction, in its own savepoint, so that it shares that transaction's one commit with the
/// appends queued beside it.
protocol QueuedWrite: Sendable {
    /// Does the write on the writer's connection, inside the group transaction; `now` is the store's clock. It
    /// may run again in a new transaction when SQLite rolled the whole group back, so it keeps nothing but its
    /// latest answer.
    func perform(_ connection: Connection, now: Date) throws(LedgerError)
    /// Called once: nil when the transaction holding the write committed, else why the write failed.
    func finish(_ error: LedgerError?)
}

/// A queued write whose caller awaits its answer (a `T`) once its transaction has committed.
final class PendingWrite<T: Sendable>: QueuedWrite {
    private let body: @Sendable (Connection, Date) throws(LedgerError) -> T
    private let staged = Mutex<T?>(nil)
    private let outcome = WriterAnswer<T>()

    init(_ body: @escaping @Sendable (Connection, Date) throws(LedgerError) -> T) {
        self.body = body
    }

    func perform(_ connection: Connection, now: Date) throws(LedgerError) {
        let answer = try body(connection, now)
        staged.withLock { $0 = answer }
    }

    func finish(_ error: LedgerError?) {
        if let error {
            outcome.give(.failure(error))
        } else if let answer = staged.withLock({ $0 }) {
            outcome.give(.success(answer))
        } else {
            outcome.give(.failure(.invalidArgument("a queued ledger write finished without running")))
        }
    }

    /// The write's answer once its transaction has committed; throws why it failed. Cancelling the caller does
    /// not withdraw the write: the wait goes on until the writer has its answer.
    func result() async throws(LedgerError) -> T {
        try await outcome.wait().get()
    }
}
