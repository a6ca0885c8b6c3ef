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

    /// Appends queued to the ledger's writer and not folded in yet, in the order they were queued: the writer
    /// commits them in that order, so several calls at once (a thousand ForEach iterations) share its group
    /// transactions instead of waiting for one commit each.
    private var inFlight: [(events: [ExecutionEvent], pending: PendingAppend)] = []
    /// The stream's version once every queued append has committed: where the next append goes.
    private var queuedVersion: Int64

    /// Starts recording a stream that holds `state` (empty for a new execution), fenced by `leaseToken`.
    public init(
        store: EventStore, executionId: String, state: ExecutionState = ExecutionState(), leaseToken: Int64? = nil,
        observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)? = nil
    ) {
        self.store = store
        self.executionId = executionId
        self.state = state
        queuedVersion = state.version
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
    ///
    /// Calls queue their appends in the order they reach the actor, each expecting the version the previous one
    /// leaves, and return once theirs has committed and been folded in, after every append queued before it.
    /// When an append fails, those queued behind it fail as version conflicts, and the next call appends after
    /// what was committed.
    public func record(_ events: [ExecutionEvent]) async throws {
        guard !events.isEmpty else { return }
        let masker = secrets.masker
        let masked = events.map { $0.masked(by: masker) }
        let encoded = try masked.map { try $0.encoded() }
        let expected: ExpectedVersion = queuedVersion == 0 ? .noStream : .exactly(queuedVersion)
        let pending = try store.enqueueAppend(
            encoded, to: executionId, expectedVersion: expected,
            precondition: leaseToken.map { EventStore.fence(executionId, token: $0) })
        queuedVersion += Int64(encoded.count)
        inFlight.append((masked, pending))
        // The writer answers appends in the order they were queued, so once this one is answered every earlier
        // one is too, and folding the answered front of the queue folds this one.
        _ = try? await pending.result()
        foldAnswered()
        _ = try await pending.result()
        FailPoint.committed(events.count)
    }

    public func record(_ event: ExecutionEvent) async throws {
        try await record([event])
    }

    /// Folds every answered append at the front of the queue into `state`, in order (without a suspension, so
    /// no other call folds in between).
    private func foldAnswered() {
        while let (events, pending) = inFlight.first, let answer = pending.answer {
            inFlight.removeFirst()
            do {
                let result = try answer.get()
                for (event, row) in zip(events, result.events) {
                    state.lastSeq = row.seq
                    state.version = row.version
                    state.apply(event, at: row.recordedAt)
                    observer?(event, state)
                }
            } catch {
                // Its caller gets the error. Everything queued behind it expected its versions and fails too.
            }
        }
        // Nothing in flight: the next append goes after what was committed (after a failure too).
        if inFlight.isEmpty { queuedVersion = state.version }
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
