import Synchronization

/// How many attempts of one service registry stage their files and create their jobs at once. The others wait
/// their turn, first come first served: a thousand executions started together upload and create in waves
/// instead of all at once, which bounds the memory their uploads hold and leaves the process's threads free to
/// answer reads. A waiting attempt that is cancelled (a kill, a shutdown) stops waiting at once.
final class StagingGate: Sendable {
    /// The most attempts that stage and submit at once.
    let limit: Int

    private struct State {
        var inUse = 0
        var nextTicket: UInt64 = 0
        var waiting: [(ticket: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    private let state = Mutex(State())

    /// The limit a registry's gate has unless told otherwise.
    static let defaultLimit = 16

    init(limit: Int = StagingGate.defaultLimit) {
        precondition(limit > 0, "a staging gate lets at least one attempt through")
        self.limit = limit
    }

    /// Runs `body` once one of the `limit` places is free, and frees it when `body` ends, however it ends.
    func withPlace<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await enter()
        defer { leave() }
        return try await body()
    }

    /// The attempts inside and waiting now.
    var occupancy: (inside: Int, waiting: Int) {
        state.withLock { ($0.inUse, $0.waiting.count) }
    }

    private func enter() async throws {
        let ticket = state.withLock { state -> UInt64 in
            state.nextTicket += 1
            return state.nextTicket
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Entry { case now, cancelled, later }
                // Under the lock, so that a cancellation either finds this ticket waiting or is seen here.
                let entry = state.withLock { state -> Entry in
                    if Task.isCancelled { return .cancelled }
                    if state.inUse < limit && state.waiting.isEmpty {
                        state.inUse += 1
                        return .now
                    }
                    state.waiting.append((ticket, continuation))
                    return .later
                }
                switch entry {
                case .now: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .later: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiting.firstIndex(where: { $0.ticket == ticket }) else { return nil }
                return state.waiting.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Hands the place to the first attempt waiting, or frees it.
    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiting.isEmpty {
                state.inUse -= 1
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        next?.resume()
    }
}
