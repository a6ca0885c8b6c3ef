import Synchronization

/// An append queued for the ledger's writer thread: await `result()` for what it wrote once its transaction has
/// committed (durably, with `synchronous=FULL`), or for why it failed.
///
/// The writer completes every pending append exactly once, also when its transaction fails or the store closes.
/// Cancelling a task that awaits it does not withdraw the append: the events may already be on disk, so the
/// wait goes on until the writer has its answer.
public final class PendingAppend: Sendable {
    private typealias Waiter = CheckedContinuation<Result<AppendResult, LedgerError>, Never>

    private enum State {
        case waiting([Waiter])
        case done(Result<AppendResult, LedgerError>)
    }

    private let state = Mutex(State.waiting([]))

    init() {}

    /// What the append wrote once it has committed; throws what made it fail (a version conflict, a lost lease,
    /// a full disk, …). Any number of tasks may await it.
    public func result() async throws(LedgerError) -> AppendResult {
        let outcome = await withCheckedContinuation { (waiter: Waiter) in
            let finished = state.withLock { state -> Result<AppendResult, LedgerError>? in
                switch state {
                case .waiting(let waiters):
                    state = .waiting(waiters + [waiter])
                    return nil
                case .done(let result):
                    return result
                }
            }
            if let finished {
                waiter.resume(returning: finished)
            }
        }
        return try outcome.get()
    }

    /// The writer's answer, or nil while it has not answered yet.
    public var answer: Result<AppendResult, LedgerError>? {
        state.withLock { state in
            if case .done(let result) = state { return result }
            return nil
        }
    }

    /// Whether the writer has answered yet.
    public var isDone: Bool {
        state.withLock { state in
            if case .done = state { return true }
            return false
        }
    }

    /// Records the outcome and resumes every waiter; a second call changes nothing.
    func complete(_ result: Result<AppendResult, LedgerError>) {
        let waiters = state.withLock { state -> [Waiter] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .done(result)
            return waiters
        }
        for waiter in waiters {
            waiter.resume(returning: result)
        }
    }
}
