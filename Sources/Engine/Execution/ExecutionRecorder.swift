import Foundation
import Ledger
import Synchronization

/// Appends an execution's events to its ledger stream, one transaction per call, and keeps the fold of
/// everything appended so far. The only writer of the stream inside the process.
public actor ExecutionRecorder {
    public let store: EventStore
    public let executionId: String
    public private(set) var state: ExecutionState
    private let observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)?

    /// Starts recording a stream that holds `state` (empty for a new execution).
    public init(
        store: EventStore, executionId: String, state: ExecutionState = ExecutionState(),
        observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)? = nil
    ) {
        self.store = store
        self.executionId = executionId
        self.state = state
        self.observer = observer
    }

    /// Appends `events` atomically, after the version this recorder last saw: another writer in between is a
    /// version conflict, never a silent interleaving.
    public func record(_ events: [ExecutionEvent]) throws {
        guard !events.isEmpty else { return }
        let encoded = try events.map { try $0.encoded() }
        let expected: ExpectedVersion = state.version == 0 ? .noStream : .exactly(state.version)
        let result = try store.append(encoded, to: executionId, expectedVersion: expected)
        for (event, row) in zip(events, result.events) {
            state.lastSeq = row.seq
            state.version = row.version
            state.apply(event, at: row.recordedAt)
            observer?(event, state)
        }
        FailPoint.committed(events.count)
    }

    public func record(_ event: ExecutionEvent) throws {
        try record([event])
    }
}

/// `BATCHLEDGER_CRASH_AFTER_EVENTS=N`: the process exits at once with status 137 right after it has committed
/// its N-th event (no cleanup, no flush), for crash-recovery tests.
public enum FailPoint {
    private static let limit: Int? = ProcessInfo.processInfo.environment["BATCHLEDGER_CRASH_AFTER_EVENTS"].flatMap(Int.init)
    private static let count = Atomic<Int>(0)

    static func committed(_ events: Int) {
        guard let limit else { return }
        let total = count.add(events, ordering: .sequentiallyConsistent).newValue
        if total >= limit {
            _exit(137)
        }
    }
}
