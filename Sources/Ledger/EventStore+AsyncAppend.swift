import Foundation

extension EventStore {
    /// Appends `events` to `stream` atomically, as the next versions of the stream, without holding a Swift
    /// concurrency thread: the SQLite work runs on the ledger's writer thread, which commits the appends that
    /// arrive together in one transaction (one fsync for many streams). Returns once the transaction holding the
    /// events has committed, durably.
    ///
    /// Same arguments, checks and errors as the synchronous `append`; each append of a group succeeds or fails on
    /// its own (a version conflict or a lost lease undoes only that append). Appends from one task are committed
    /// in the order it makes them. Cancelling the caller does not withdraw the append (it may already be on
    /// disk): the call still returns its outcome.
    @discardableResult
    public func append(
        _ events: [NewEvent], to stream: String, expectedVersion: ExpectedVersion = .any,
        idempotencyKey: String? = nil,
        precondition: AppendPrecondition? = nil
    ) async throws(LedgerError) -> AppendResult {
        let pending = try enqueueAppend(
            events, to: stream, expectedVersion: expectedVersion, idempotencyKey: idempotencyKey,
            precondition: precondition)
        return try await pending.result()
    }

    /// Queues an append for the writer thread and returns at once, without waiting; await the handle's
    /// `result()` for its outcome. Appends queued one after another are committed in that order, so an actor can
    /// queue several and await them later without losing their order.
    ///
    /// Throws at once only for what can never be stored (an empty batch or stream name, an event without a type)
    /// and on a store opened read-only.
    public func enqueueAppend(
        _ events: [NewEvent], to stream: String, expectedVersion: ExpectedVersion = .any,
        idempotencyKey: String? = nil,
        precondition: AppendPrecondition? = nil
    ) throws(LedgerError) -> PendingAppend {
        try Self.validate(events, stream: stream)
        if options.readOnly {
            throw .readOnly(path: path, detail: "opened read-only")
        }
        let pending = PendingAppend()
        writer.enqueue(
            .append(
                request: AppendRequest(
                    events: events, stream: stream, expectedVersion: expectedVersion, idempotencyKey: idempotencyKey),
                precondition: precondition, pending: pending))
        return pending
    }

    /// What the writer thread has committed since this store was opened: group transactions, appends and events
    /// (events per transaction above 1 is group commit at work), and how many appends wait right now.
    public var writerStatistics: WriterStatistics {
        writer.currentStatistics
    }
}
