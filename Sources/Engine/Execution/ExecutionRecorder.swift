import Foundation
import GoogleCloud
import Ledger
import Synchronization
import Templates

/// Appends an execution's events to its ledger stream, one append per call, and keeps the fold of everything
/// appended so far. The only writer of the stream inside the process. Appends go through the ledger's writer
/// thread (group commit), so a call waits for its fsync without holding a Swift concurrency thread.
public actor ExecutionRecorder {
    public let store: EventStore
    public let executionId: String
    public private(set) var state: ExecutionState
    private let observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)?
    /// Every secret value rendered in this execution so far, added the moment a template returns it.
    private let secrets = RenderedSecrets()
    /// The ledger's key for secret digests, read (or created) on first use.
    private var digestKey: SecretDigestKey?

    /// The lease token every append must still hold (nil: no lease).
    public let leaseToken: Int64?

    /// Whether a `record` is between reading `state.version` and folding in its rows. The actor is free while
    /// an append waits for its commit, so later calls wait their turn here, in arrival order: each appends after
    /// the version the previous one left, as when every call held the actor.
    private var recording = false
    private var waitingToRecord: [CheckedContinuation<Void, Never>] = []

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

    /// A masker for every secret value rendered in this execution so far: masked in the free text of every
    /// event, and in every error reported about the execution.
    public var masker: SecretMasker { secrets.masker }

    /// Adds secret values to mask from now on (before any event that could carry them is recorded).
    public func addSecrets(_ more: SecretMasker) {
        secrets.add(more)
    }

    /// The ledger's key for digests of secret values (`SecretReference`), created on first use.
    public func secretDigestKey() throws -> SecretDigestKey {
        if let digestKey { return digestKey }
        let key = try store.secretDigestKey()
        digestKey = key
        return key
    }

    /// A collector for one attempt's renders: it digests secrets under the ledger's key, and hands every value it
    /// sees to this recorder at once, so that an error raised later in the same render is masked too.
    func secretLedger() throws -> TaskRenderer.SecretLedger {
        TaskRenderer.SecretLedger(key: try secretDigestKey(), sink: secrets)
    }

    /// Appends `events` atomically, after the version this recorder last saw: another writer in between is a
    /// version conflict, never a silent interleaving. Secret values are masked first, in each payload's free-text
    /// fields only (`SecretMaskedPayload`), so the ledger, the fold and the display all see the same masked event,
    /// and no secret can rewrite an id, a state or a key.
    public func record(_ events: [ExecutionEvent]) async throws {
        guard !events.isEmpty else { return }
        await takeTurn()
        defer { passTurn() }
        let masker = secrets.masker
        let masked = events.map { $0.masked(by: masker) }
        let encoded = try masked.map { try $0.encoded() }
        let expected: ExpectedVersion = state.version == 0 ? .noStream : .exactly(state.version)
        let result = try await store.append(
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

    public func record(_ event: ExecutionEvent) async throws {
        try await record([event])
    }

    private func takeTurn() async {
        guard recording else {
            recording = true
            return
        }
        // `passTurn` hands the turn over with `recording` left true.
        await withCheckedContinuation { waitingToRecord.append($0) }
    }

    private func passTurn() {
        if waitingToRecord.isEmpty {
            recording = false
        } else {
            waitingToRecord.removeFirst().resume()
        }
    }
}

/// The secret values rendered in one execution, shared between its recorder and the renders that find them.
final class RenderedSecrets: Sendable {
    private let current = Mutex(SecretMasker())

    var masker: SecretMasker { current.withLock { $0 } }

    func add(_ more: SecretMasker) {
        guard !more.isEmpty else { return }
        current.withLock { $0 = $0.merging(more) }
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
