/// An append queued for the ledger's writer thread: await `result()` for what it wrote once its transaction has
/// committed (durably, with `synchronous=FULL`), or for why it failed.
///
/// The writer completes every pending append exactly once, also when its transaction fails or the store closes.
/// Cancelling a task that awaits it does not withdraw the append: the events may already be on disk, so the
/// wait goes on until the writer has its answer.
public final class PendingAppend: Sendable {
    private let outcome = WriterAnswer<AppendResult>()

    init() {}

    /// What the append wrote once it has committed; throws what made it fail (a version conflict, a lost lease,
    /// a full disk, …). Any number of tasks may await it.
    public func result() async throws(LedgerError) -> AppendResult {
        try await outcome.wait().get()
    }

    /// What the append wrote, blocking the calling thread until the writer thread has committed it.
    func waitForResult() throws(LedgerError) -> AppendResult {
        try outcome.waitBlocking().get()
    }

    /// The writer's answer, or nil while it has not answered yet.
    public var answer: Result<AppendResult, LedgerError>? { outcome.answer }

    /// Whether the writer has answered yet.
    public var isDone: Bool { outcome.answer != nil }

    /// Records the outcome and resumes every waiter; a second call changes nothing.
    func complete(_ result: Result<AppendResult, LedgerError>) {
        outcome.give(result)
    }
}
