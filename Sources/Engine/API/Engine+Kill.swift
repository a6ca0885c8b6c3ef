import Foundation
import Ledger
import Templates

/// What a kill asked of any process found.
public enum KillOutcome: Sendable {
    /// The execution ended (CANCELLED, unless it ended otherwise before the kill reached it); `how` says who
    /// ended it.
    case ended(ExecutionOutcome, how: KillPath)
    /// It had ended before the request: nothing was done, nothing recorded.
    case alreadyEnded(ExecutionState)
    /// The process that drives it did not end it within the wait (the request stays recorded: it acts on it when
    /// it next checks, and a later recovery kills it).
    case stillRunning(LeaseHolder?)
}

/// Who ended a killed execution.
public enum KillPath: String, Sendable {
    /// This process drives it, and its driving task was cancelled.
    case inProcess = "this process"
    /// Another process drives it; it noticed the request and ended it.
    case driver = "its driver"
    /// No process drove it: the kill took its lease and ended it (jobs deleted, task runs cancelled).
    case directly = "the kill itself"
}

/// How a kill from any process waits.
public struct KillRequest: Sendable {
    public var executionId: String
    /// Who asked (a user name, or a server's caller): recorded with the request and the cancellation.
    public var requestedBy: String
    /// Secrets, for an execution killed directly whose project or bucket is a secret.
    public var secrets: SecretStore
    /// How long to wait for the driver to end it.
    public var wait: Duration
    /// How often to look whether it ended, or whether its driver is gone.
    public var pollInterval: Duration

    public init(
        executionId: String, requestedBy: String, secrets: SecretStore = SecretStore(), wait: Duration = .seconds(120),
        pollInterval: Duration = .milliseconds(100)
    ) {
        self.executionId = executionId
        self.requestedBy = requestedBy
        self.secrets = secrets
        self.wait = wait
        self.pollInterval = pollInterval
    }
}

extension Engine {
    /// Kills an execution whoever drives it. The request is recorded first (`KillRequested`, in the execution's
    /// control stream); then: an execution this process drives is cancelled here; one another process drives is
    /// left to that process, which notices the request within its check interval, and this waits for its end;
    /// one that no process drives (its driver gone) is killed directly, under its lease: its jobs deleted, its
    /// task runs in flight cancelled, CANCELLED recorded with who asked. Returns `.alreadyEnded` for an execution
    /// that had ended; throws `noSuchExecution` for an unknown id.
    public func kill(_ request: KillRequest, observer: EngineObserver = .silent) async throws(EngineFailure)
        -> KillOutcome
    {
        let id = request.executionId
        let store = try ledger.store(.existing)
        do {
            guard let state = try store.executionState(id), state.started != nil else {
                throw EngineFailure.noSuchExecution(id: id, ledger: store.name)
            }
            if state.isTerminal { return .alreadyEnded(state) }
            if let origin = try ImportedHistory.origin(of: id, in: store) {
                throw EngineFailure.importedExecution(id: id, origin: origin)
            }
            if let parent = state.started?.parentExecutionId, let parentState = try store.executionState(parent),
                !parentState.isTerminal
            {
                // Its parent's Subflow task drives it (in the parent's process, under the parent's lease).
                let task = state.started?.parentTaskRunId.map { " (task run \($0))" } ?? ""
                throw EngineFailure.invalidRequest([
                    "execution \(id) is the Subflow child of execution \(parent)\(task): kill \(parent), whose "
                        + "Subflow task stops the child with it"
                ])
            }
            let seq = try await ExecutionControl.requestKill(id, by: request.requestedBy, in: store)
            if running.kill(id, by: request.requestedBy, request: seq) != nil {
                return try await waitForEnd(id, store: store, request: request, seq: seq, how: .inProcess)
            }
            return try await waitForEnd(
                id, store: store, request: request, seq: seq, how: .driver, observer: observer)
        } catch let failure as EngineFailure {
            throw failure
        } catch {
            throw EngineFailure(error)
        }
    }

    /// Waits until the execution ended; when no process drives it (its lease is free), kills it directly.
    private func waitForEnd(
        _ id: String, store: EventStore, request: KillRequest, seq: Int64, how: KillPath,
        observer: EngineObserver = .silent
    ) async throws -> KillOutcome {
        let deadline = clock.now.advanced(by: request.wait)
        var holder: LeaseHolder?
        while true {
            if try Self.hasEnded(id, in: store), let state = try store.executionState(id) {
                return .ended(ExecutionOutcome(state), how: how)
            }
            if how != .inProcess {
                switch try await store.acquireLease(id, owner: "batchledger kill", ttl: leaseTTL) {
                case .acquired(let token):
                    let (outcome, killedHere) = try await killDirectly(
                        id, token: token, store: store, request: request, seq: seq, observer: observer)
                    return .ended(outcome, how: killedHere ? .directly : how)
                case .heldBy(let current):
                    holder = current
                }
            }
            if clock.now >= deadline { return .stillRunning(holder) }
            try await clock.sleep(for: request.pollInterval)
        }
    }

    /// Whether `id` has recorded its end: one indexed look, not a fold of its events (a wait asks it often).
    private static func hasEnded(_ id: String, in store: EventStore) throws -> Bool {
        var ended = false
        let finished = EventFilter(types: [EventRegistry.name(of: ExecutionFinished.self)], streams: [id], limit: 1)
        try store.query(finished) { _ in ended = true }
        return ended
    }

    /// Kills an execution whose lease this process took (`token`), and gives the lease up; false with the outcome
    /// when its driver had ended it just before. This process drives it while its `finally` tasks run, so that a
    /// further kill request (`seq` is this one's) stops them as it would stop its driver's.
    private func killDirectly(
        _ id: String, token: Int64, store: EventStore, request: KillRequest, seq: Int64, observer: EngineObserver
    ) async throws -> (ExecutionOutcome, killedHere: Bool) {
        let result: Result<(ExecutionState, Bool), any Error>
        do {
            guard let state = try store.executionState(id), let started = state.started else {
                throw EngineFailure.noSuchExecution(id: id, ledger: store.name)
            }
            if state.isTerminal {
                // Its driver ended it between the last look and the lease.
                result = .success((state, false))
            } else {
                let final = try await running.drive(id) { [self] in
                    running.noteDelivered(id, by: request.requestedBy, request: seq)
                    return try await targets.using(started.backend) { resolved in
                        try await DriverlessKill(
                            store: store, executionId: id, token: token, target: resolved.target,
                            secrets: request.secrets, requester: request.requestedBy, environment: environment,
                            clock: clock
                        ).run(state, observer: observer.events(id))
                    }
                }
                result = .success((final, true))
            }
        } catch {
            result = .failure(error)
        }
        try? await store.releaseLease(id, token: token)
        let (state, killedHere) = try result.get()
        return (ExecutionOutcome(state), killedHere)
    }
}
