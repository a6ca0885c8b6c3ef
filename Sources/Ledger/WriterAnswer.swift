import Foundation
import Synchronization

/// The writer thread's answer to one queued job, given once and awaited by any number of tasks. Cancelling a task
/// that awaits it does not end the wait: the job may already be on disk, so the wait goes on until the answer.
final class WriterAnswer<T: Sendable>: Sendable {
    private typealias Waiter = CheckedContinuation<Result<T, LedgerError>, Never>

    private enum State {
        case waiting([Waiter])
        case done(Result<T, LedgerError>)
    }

    private let state = Mutex(State.waiting([]))
    /// Wakes threads blocked in `waitBlocking`.
    private let blocked = NSCondition()

    /// The answer, or nil while there is none yet.
    var answer: Result<T, LedgerError>? {
        state.withLock { state in
            if case .done(let result) = state { return result }
            return nil
        }
    }

    /// Waits for the answer.
    func wait() async -> Result<T, LedgerError> {
        await withCheckedContinuation { (waiter: Waiter) in
            let finished = state.withLock { state -> Result<T, LedgerError>? in
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
    }

    /// Waits for the answer, blocking the calling thread (never one of an event loop's).
    func waitBlocking() -> Result<T, LedgerError> {
        blocked.lock()
        defer { blocked.unlock() }
        while true {
            if let answer { return answer }
            blocked.wait()
        }
    }

    /// Gives the answer and resumes every waiter; a second call changes nothing.
    func give(_ result: Result<T, LedgerError>) {
        let waiters = state.withLock { state -> [Waiter] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .done(result)
            return waiters
        }
        blocked.lock()
        blocked.broadcast()
        blocked.unlock()
        for waiter in waiters {
            waiter.resume(returning: result)
        }
    }
}
