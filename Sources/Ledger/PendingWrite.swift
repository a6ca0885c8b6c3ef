import Foundation
import Synchronization

/// A write other than an append (a lease taken, renewed or given up) that the ledger's writer thread runs inside
/// its next group transaction, in its own savepoint, so that it shares that transaction's one commit with the
/// appends queued beside it.
protocol QueuedWrite: Sendable {
    /// What the write is for a ledger of record; nil for a write of the SQLite file's own tables.
    var recordJob: RecordJob? { get }
    /// Does the write on the writer's connection, inside the group transaction; `now` is the store's clock. It
    /// may run again in a new transaction when SQLite rolled the whole group back, so it keeps nothing but its
    /// latest answer.
    func perform(_ connection: Connection, now: Date) throws(LedgerError)
    /// Takes the ledger of record's answer to `recordJob`, before `finish`.
    func take(_ outcome: RecordOutcome) throws(LedgerError)
    /// Called once: nil when the transaction holding the write committed, else why the write failed.
    func finish(_ error: LedgerError?)
}

/// A queued write whose caller awaits its answer (a `T`) once its transaction has committed.
final class PendingWrite<T: Sendable>: QueuedWrite {
    private enum Body: Sendable {
        case local(@Sendable (Connection, Date) throws(LedgerError) -> T)
        case record(RecordJob, @Sendable (RecordOutcome) throws(LedgerError) -> T)
    }

    private let body: Body
    private let staged = Mutex<T?>(nil)
    private let outcome = WriterAnswer<T>()

    init(_ body: @escaping @Sendable (Connection, Date) throws(LedgerError) -> T) {
        self.body = .local(body)
    }

    /// A write for the ledger of record: `job`, whose outcome `answer` turns into the caller's answer.
    init(record job: RecordJob, answer: @escaping @Sendable (RecordOutcome) throws(LedgerError) -> T) {
        body = .record(job, answer)
    }

    var recordJob: RecordJob? {
        if case .record(let job, _) = body { return job }
        return nil
    }

    func perform(_ connection: Connection, now: Date) throws(LedgerError) {
        guard case .local(let write) = body else {
            throw .invalidArgument("a write for the ledger of record reached the local file")
        }
        let answer = try write(connection, now)
        staged.withLock { $0 = answer }
    }

    func take(_ outcome: RecordOutcome) throws(LedgerError) {
        guard case .record(_, let answer) = body else {
            throw .invalidArgument("a write of the local file reached the ledger of record")
        }
        if case .failed(let error) = outcome { throw error }
        let value = try answer(outcome)
        staged.withLock { $0 = value }
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

    /// The write's answer, blocking the calling thread until the writer thread has it (for the synchronous API
    /// over a ledger of record, whose writes all go through that thread).
    func waitForResult() throws(LedgerError) -> T {
        try outcome.waitBlocking().get()
    }
}
