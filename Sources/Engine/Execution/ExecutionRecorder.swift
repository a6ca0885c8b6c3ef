import Foundation
import GoogleCloud
import Ledger
import Synchronization
import Templates

/// Appends an execution's events to its ledger stream, one transaction per call, and keeps the fold of
/// everything appended so far. The only writer of the stream inside the process.
public actor ExecutionRecorder {
    public let store: EventStore
    public let executionId: String
    public private(set) var state: ExecutionState
    private let observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)?
    /// Every secret value rendered in this execution so far: masked in every string of every event.
    public private(set) var masker = SecretMasker()

    /// The lease token every append must still hold (nil: no lease).
    public let leaseToken: Int64?

    /// Starts recording a stream that holds `state` (empty for a new execution), fenced by `leaseToken`.
    public init(
        store: EventStore, executionId: String, state: ExecutionState = ExecutionState(), leaseToken: Int64? = nil,
        observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)? = nil
    ) {
        self.store = store
        self.executionId = executionId
        self.state = state
        self.leaseToken = leaseToken
        self.observer = observer
    }

    /// Adds secret values to mask from now on (before any event that could carry them is recorded).
    public func addSecrets(_ more: SecretMasker) {
        masker = masker.merging(more)
    }

    /// Appends `events` atomically, after the version this recorder last saw: another writer in between is a
    /// version conflict, never a silent interleaving. Secret values are masked in every string first, so the
    /// ledger, the fold and the display all see the same masked event.
    public func record(_ events: [ExecutionEvent]) throws {
        guard !events.isEmpty else { return }
        var encoded = try events.map { try $0.encoded() }
        var masked = events
        if !masker.isEmpty {
            for index in encoded.indices {
                let tree = try JSONDecoder().decode(JSONValue.self, from: encoded[index].payload)
                let clean = Self.mask(tree, with: masker)
                if clean != tree {
                    encoded[index].payload = try CanonicalJSON.encode(clean)
                    let row = RecordedEvent(
                        seq: 0, stream: executionId, version: 0, type: encoded[index].type,
                        schemaVersion: encoded[index].schemaVersion, recordedAt: "", payload: encoded[index].payload,
                        payloadSHA256: .zero, prevHash: .zero, hash: .zero, streamHash: .zero)
                    masked[index] = try ExecutionEvent.decode(row) ?? events[index]
                }
            }
        }
        let expected: ExpectedVersion = state.version == 0 ? .noStream : .exactly(state.version)
        let result = try store.append(
            encoded, to: executionId, expectedVersion: expected,
            precondition: leaseToken.map { EventStore.fence(executionId, token: $0) })
        for (event, row) in zip(masked, result.events) {
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

    static func mask(_ value: JSONValue, with masker: SecretMasker) -> JSONValue {
        switch value {
        case .string(let text): return .string(masker.mask(text))
        case .array(let items): return .array(items.map { mask($0, with: masker) })
        case .object(let object):
            var result: [String: JSONValue] = [:]
            for (key, item) in object { result[masker.mask(key)] = mask(item, with: masker) }
            return .object(result)
        default: return value
        }
    }
}

/// `BATCHLEDGER_CRASH_AFTER_EVENTS=N`: the process exits at once with status 137 right after it has committed
/// its N-th event (no cleanup, no flush), for crash-recovery tests.
public enum FailPoint {
    private static let limit: Int? = ProcessInfo.processInfo.environment["BATCHLEDGER_CRASH_AFTER_EVENTS"].flatMap(
        Int.init)
    private static let count = Atomic<Int>(0)

    static func committed(_ events: Int) {
        guard let limit else { return }
        let total = count.add(events, ordering: .sequentiallyConsistent).newValue
        if total >= limit {
            _exit(137)
        }
    }
}
