import Engine
import Foundation
import Ledger
import ServiceLifecycle
import Synchronization
import Templates

/// The executions a server drives, on one engine: it starts, forks and kills them for API calls, each driven by
/// a task of its own, and resumes the interrupted ones at start. `shutdown` stops driving all of them without
/// ending any (their jobs keep running, their leases are released) so the next start picks them up.
public final class ExecutionHost: Sendable {
    public let engine: Engine
    /// Where executions started here run.
    public let backend: Backend
    public let secrets: SecretStore
    /// Output files go under `<outputDirectory>/<executionId>/`.
    public let outputDirectory: URL
    /// Whether a launch waits until the FILE inputs' files are stored in the bucket (or the execution went past
    /// storing them, or ended) before it answers: replicas on a shared ledger do, so that a file a request gave
    /// survives this host (another replica that takes the execution over restores it from the bucket).
    public let storesInputFilesBeforeAnswering: Bool
    private let tasks = DrivenTasks()
    private let ends = EndSignals()
    /// The executions a takeover is resuming right now (so that the next look does not resume them twice).
    private let takingOver = TakeoverSet()

    public init(
        engine: Engine, backend: Backend, secrets: SecretStore, outputDirectory: URL,
        storesInputFilesBeforeAnswering: Bool = false
    ) {
        self.engine = engine
        self.backend = backend
        self.secrets = secrets
        self.outputDirectory = outputDirectory
        self.storesInputFilesBeforeAnswering = storesInputFilesBeforeAnswering
    }

    /// What a start or fork asks for.
    public enum Launch: Sendable {
        case start(StartRequest)
        case fork(ForkRequest)
    }

    /// Starts an execution and returns its id once its first event is recorded (so a read of it finds it), or
    /// throws the engine's refusal when it could not start (bad inputs, a flow that cannot run, no credentials).
    /// With `storesInputFilesBeforeAnswering`, an execution with FILE inputs returns once they are stored (see
    /// `inputFilesSettled`). The execution goes on being driven after this returns; `waitForEnd(of:)` waits for
    /// its end.
    public func launch(_ launch: Launch) async throws(EngineFailure) -> String {
        let id: String
        switch launch {
        case .start(let request): id = request.executionId ?? Engine.newExecutionID()
        case .fork(let request): id = request.executionId ?? Engine.newExecutionID()
        }
        let first = FirstEvent()
        let ends = ends
        let waitsForInputFiles = storesInputFilesBeforeAnswering
        let observer = EngineObserver(events: { driven in
            { event, state in
                if driven == id, !waitsForInputFiles || ExecutionHost.inputFilesSettled(after: event, state) {
                    first.signal(.recorded)
                }
                if state.state.isTerminal { ends.finished(driven) }
            }
        })
        let engine = engine
        let task = Task<ExecutionOutcome, any Error> {
            do {
                let outcome: ExecutionOutcome
                switch launch {
                case .start(var request):
                    request.executionId = id
                    outcome = try await engine.start(request, observer: observer)
                case .fork(var request):
                    request.executionId = id
                    outcome = try await engine.fork(request, observer: observer)
                }
                first.signal(.recorded)
                return outcome
            } catch {
                first.signal(.failed(EngineFailure(error)))
                throw error
            }
        }
        tasks.add(id, task)
        Task { [tasks] in
            _ = await task.result
            tasks.remove(id)
            ends.finished(id)
        }
        switch await first.wait() {
        case .recorded: return id
        case .failed(let failure): throw failure
        }
    }

    /// Whether an execution's FILE inputs are settled after `event`: it has none, each is stored in the bucket, or
    /// it went past storing them (no task runner has a bucket; the storing failed and the execution ended).
    static func inputFilesSettled(after event: ExecutionEvent, _ state: ExecutionState) -> Bool {
        switch event {
        case .executionStarted, .taskAdopted, .inputFileUploadRequested, .inputFileUploaded:
            let inputs = state.started?.inputFiles ?? [:]
            return inputs.keys.allSatisfy { state.inputFilesStored.contains($0) }
        default:
            return true
        }
    }

    /// Waits until an execution this server drives has ended, or the server shuts down (a graceful shutdown
    /// does not wait for executions: they are left for the next start). Returns at once when this server does
    /// not drive it.
    public func waitForEnd(of id: String) async {
        await withGracefulShutdownHandler {
            await ends.wait(id) { [engine] in
                let recorded = try? engine.state(of: id, access: .readOnly)
                return recorded?.state.isTerminal ?? true || !engine.runningExecutions.contains(id)
            }
        } onGracefulShutdown: { [ends] in
            ends.finishAll()
        }
    }

    /// Kills an execution whichever process drives it (this server, another process, or none: see
    /// `Engine.kill(_:observer:)`), recording who asked, and waits until it has ended (its jobs deleted,
    /// CANCELLED recorded).
    public func kill(_ id: String, by requester: String) async throws(EngineFailure) -> KillOutcome {
        try await engine.kill(KillRequest(executionId: id, requestedBy: requester, secrets: secrets))
    }

    /// Resumes, in the background, the interrupted executions that neither this server drives nor a live process
    /// holds the lease of (a replica that died: its leases expired). A lease still held leaves the execution to
    /// its holder. Each lease is judged by the TTL its holder chose, whatever this server's own TTL.
    ///
    /// - Parameter ledgerAnsweredFor: how long, in seconds, the ledger has answered without a break. After an
    ///   outage every lease looks expired by the database's clock; a holder needs up to its own TTL to renew, so
    ///   an expired lease whose TTL is longer than that is left alone for now.
    /// - Returns: the ids it tried.
    @discardableResult
    public func takeOverOrphans(ledgerAnsweredFor: Double = .infinity) throws(EngineFailure) -> [String] {
        let candidates: [String]
        do {
            candidates = try engine.interruptedExecutions()
        } catch .noLedger {
            return []
        }
        let engine = engine
        let running = Set(engine.runningExecutions)
        var free = candidates.filter { !running.contains($0) }
        // Only those whose lease is free or expired: a live holder (another replica) keeps its executions.
        if !free.isEmpty {
            let store = try engine.store(.existing)
            let holders: [String: LeaseHolder]
            do {
                holders = try store.leaseHolders(free)
            } catch {
                throw EngineFailure.ledger(error)
            }
            free = free.filter { id in
                guard let holder = holders[id] else { return true }
                return !store.leaseIsHeld(by: holder) && holder.ttl <= ledgerAnsweredFor
            }
        }
        let ids = takingOver.claim(free)
        guard !ids.isEmpty else { return [] }
        let ends = ends
        let takingOver = takingOver
        let request = RecoveryRequest(secrets: secrets)
        let observer = EngineObserver(events: { driven in
            { _, state in if state.state.isTerminal { ends.finished(driven) } }
        })
        let task = Task<Void, Never> {
            _ = try? await engine.resume(ids, request, observer: observer)
            takingOver.release(ids)
        }
        tasks.addBackground(task)
        return ids
    }

    /// Resumes every interrupted execution of the ledger (those another process drives are left to it: their
    /// leases say so), each driven in the background like a started one. Returns their ids.
    @discardableResult
    public func recoverInterrupted() throws(EngineFailure) -> [String] {
        let ids: [String]
        do {
            ids = try engine.interruptedExecutions()
        } catch .noLedger {
            return []
        }
        guard !ids.isEmpty else { return [] }
        let engine = engine
        let ends = ends
        let request = RecoveryRequest(secrets: secrets)
        let observer = EngineObserver(events: { driven in
            { _, state in if state.state.isTerminal { ends.finished(driven) } }
        })
        let task = Task<Void, Never> {
            _ = try? await engine.resume(ids, request, observer: observer)
            for id in ids { ends.finished(id) }
        }
        tasks.addBackground(task)
        return ids
    }

    /// Stops driving every execution without ending any, and waits until each driving task has let go (its lease
    /// released). New launches are refused from then on.
    public func shutdown() async {
        engine.detachAll()
        await tasks.waitForAll()
        ends.finishAll()
    }

}

/// The executions a takeover is resuming.
private final class TakeoverSet: Sendable {
    private let busy = Mutex<Set<String>>([])

    /// Those of `ids` no takeover resumes yet, now marked as resumed.
    func claim(_ ids: [String]) -> [String] {
        busy.withLock { busy in
            let fresh = ids.filter { !busy.contains($0) }
            busy.formUnion(fresh)
            return fresh
        }
    }

    func release(_ ids: [String]) {
        busy.withLock { $0.subtract(ids) }
    }
}

/// The driving tasks of a host, by execution id.
private final class DrivenTasks: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [String: Task<ExecutionOutcome, any Error>] = [:]
    private var background: [Task<Void, Never>] = []

    func add(_ id: String, _ task: Task<ExecutionOutcome, any Error>) {
        lock.withLock { tasks[id] = task }
    }

    func addBackground(_ task: Task<Void, Never>) {
        lock.withLock { background.append(task) }
    }

    func remove(_ id: String) {
        _ = lock.withLock { tasks.removeValue(forKey: id) }
    }

    func waitForAll() async {
        let (running, others) = lock.withLock { (Array(tasks.values), background) }
        for task in running { _ = await task.result }
        for task in others { await task.value }
    }
}

/// The first thing that happens to a launched execution: its first event is recorded, or it fails to start.
private final class FirstEvent: @unchecked Sendable {
    enum Outcome: Sendable {
        case recorded
        case failed(EngineFailure)
    }

    private let lock = NSLock()
    private var outcome: Outcome?
    private var waiter: CheckedContinuation<Outcome, Never>?

    /// Keeps the first outcome given; later ones change nothing.
    func signal(_ value: Outcome) {
        let resumed: CheckedContinuation<Outcome, Never>? = lock.withLock {
            guard outcome == nil else { return nil }
            outcome = value
            defer { waiter = nil }
            return waiter
        }
        resumed?.resume(returning: value)
    }

    func wait() async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready: Outcome? = lock.withLock {
                if let outcome { return outcome }
                waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Waiters for the end of executions: resolved when an execution's terminal state is recorded or its driving
/// stops.
private final class EndSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits until `finished(id)`; `ended` is asked once the waiter is in place, so an end that came before is
    /// never missed.
    func wait(_ id: String, ended: @escaping @Sendable () -> Bool) async {
        await withCheckedContinuation { continuation in
            lock.withLock { waiters[id, default: []].append(continuation) }
            if ended() { finished(id) }
        }
    }

    func finished(_ id: String) {
        let resumed = lock.withLock { waiters.removeValue(forKey: id) ?? [] }
        for continuation in resumed { continuation.resume() }
    }

    func finishAll() {
        let resumed = lock.withLock {
            defer { waiters = [:] }
            return waiters.values.flatMap { $0 }
        }
        for continuation in resumed { continuation.resume() }
    }
}
