import Synchronization

/// The states of one projection kept in memory by a long-running reader (a server's search), brought up to date
/// at each read by folding only the events recorded since the read before, by whichever process.
///
/// A read never waits for the ledger's writer and decodes no cached row after the first: a search over a
/// thousand executions while they start costs the fold of the events appended since the last search.
public final class LiveProjection<P: CachedProjection>: Sendable {
    private struct Folded {
        var states: [String: P.State]
        var through: Int64
    }

    private let folded = Mutex<Folded?>(nil)

    public init(_ projection: P.Type = P.self) {}

    /// Every state of `P` up to the end of the log as `store` has it now.
    public func states(in store: EventStore) throws -> [String: P.State] {
        try folded.withLock { (current: inout Folded?) throws -> [String: P.State] in
            // Taken out, so that the fold mutates the one copy of the states in place.
            var state: Folded
            if let kept = current.take() {
                state = kept
            } else {
                let start = try store.foldedStates(P.self)
                state = Folded(states: start.states, through: start.through)
            }
            // Kept as far as it got, even when an event cannot be folded: the next read starts from there.
            defer { current = state }
            try store.readAll(after: state.through) { event in
                if let key = P.key(for: event) {
                    try P.apply(event, to: &state.states[key, default: P.initialState(key: key)])
                }
                // Only past an event folded: one that cannot be is met again (and reported) at the next read.
                state.through = event.seq
            }
            return state.states
        }
    }
}
