import Clocks
import Foundation
import GoogleCloud
import Ledger
import PostgresLedger
import Templates

/// The engine as a library: what the `batchledger` CLI and a long-running server both call. It starts an
/// execution from a flow and inputs, resumes interrupted ones (one, or all, several at once), forks one, kills one
/// (whichever process drives it: `kill(_:observer:)`; the requests of other processes reach the executions this
/// one drives through `KillRequestWatcher`), and steps through or checks (decision replay) a recorded one. Each returns a typed result
/// (`ExecutionOutcome`, `RecoveryReport`, `ReplayCheck`) or throws an `EngineFailure`; progress and recorded
/// events go to an `EngineObserver`. Where Google calls go comes from the host's `TargetResolver`.
public final class Engine: Sendable {
    let ledger: EngineLedger
    let targets: any TargetResolver
    /// The process environment: `SECRET_` variables are read through the request's `SecretStore`; this gives
    /// flows their `envs`.
    let environment: [String: String]
    let running: RunningExecutions
    /// One service registry per endpoint for every execution this engine drives (started, forked or resumed),
    /// so that their jobs are watched together: one `jobs.list` round per location, one log reader per project.
    let shared = SharedRegistries()
    /// Delivers kill requests other processes record (`batchledger kill`, another server) to the executions this
    /// engine drives.
    let killRequests: KillRequestWatcher
    /// The clock of the engine's own waits (kill requests).
    let clock: AnyClock<Duration>

    /// An engine over the ledger at `ledgerPath`, opened when an operation first needs it: starting an execution
    /// creates it, every other operation requires it (`EngineFailure.noLedger`) and never creates it.
    /// Kill requests recorded by other processes are looked for every `killCheckInterval` on `clock`.
    public convenience init(
        ledgerPath: String, targets: any TargetResolver, environment: [String: String],
        killCheckInterval: Duration = Engine.killCheckInterval, clock: AnyClock<Duration> = .continuous
    ) {
        self.init(
            ledger: EngineLedger(
                path: ledgerPath, cacheFolder: PostgresLedgerStore.defaultCacheFolder(environment: environment)),
            targets: targets, environment: environment,
            killCheckInterval: killCheckInterval, clock: clock)
    }

    /// An engine over a ledger the host has opened.
    public convenience init(
        store: EventStore, targets: any TargetResolver, environment: [String: String],
        killCheckInterval: Duration = Engine.killCheckInterval, clock: AnyClock<Duration> = .continuous
    ) {
        self.init(
            ledger: EngineLedger(store: store), targets: targets, environment: environment,
            killCheckInterval: killCheckInterval, clock: clock)
    }

    private init(
        ledger: EngineLedger, targets: any TargetResolver, environment: [String: String],
        killCheckInterval: Duration, clock: AnyClock<Duration>
    ) {
        self.ledger = ledger
        self.targets = targets
        self.environment = environment
        self.clock = clock
        let running = RunningExecutions()
        self.running = running
        let watcher = KillRequestWatcher(
            running: running, interval: killCheckInterval, clock: clock, store: { try? ledger.store(.existing) })
        killRequests = watcher
        running.whenAdmitting { watcher.ensureRunning() }
    }

    /// How often an engine looks for kill requests recorded by other processes, by default.
    public static let killCheckInterval: Duration = .seconds(1)

    /// The ledger's path.
    public var ledgerPath: String { ledger.path }

    /// The ledger, opened as `access` asks (for reads the engine API does not cover).
    public func store(_ access: LedgerAccess) throws(EngineFailure) -> EventStore {
        try ledger.store(access)
    }

    /// A fresh execution id, for a host that wants to know it (to `kill` it) before `start` returns.
    public static func newExecutionID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Naming.executionID(using: &generator)
    }

    /// The recorded state of one execution (through `seq` when given); `noSuchExecution` when it is not there.
    public func state(
        of executionId: String, through seq: Int64? = nil, access: LedgerAccess = .readOnly
    ) throws(EngineFailure) -> ExecutionState {
        let store = try ledger.store(access)
        let state: ExecutionState?
        do {
            state = try store.executionState(executionId, through: seq)
        } catch {
            throw EngineFailure(error)
        }
        guard let state else { throw .noSuchExecution(id: executionId, ledger: store.name) }
        return state
    }

    /// Cancels an execution this process drives (started, forked or resumed here), as Ctrl-C does: its running
    /// jobs are deleted, its staging cleaned, and the ledger records it CANCELLED; the operation that drives it
    /// returns that outcome. `requester` (who asked: a server's caller) is recorded in the cancellation. False when
    /// this process does not drive it (another process's execution is left to that process: its lease says which).
    @discardableResult
    public func kill(_ executionId: String, by requester: String? = nil) -> Bool {
        running.kill(executionId, by: requester)
    }

    /// Stops driving every execution this process drives, without ending any: each stays interrupted with its jobs
    /// running and its lease released, for the next recovery (a server's graceful shutdown); the operations that
    /// drive them throw `CancellationError`. New executions are refused from then on. Returns the ids left.
    @discardableResult
    public func detachAll() -> [String] {
        running.detachAll()
    }

    /// The executions this process drives now.
    public var runningExecutions: [String] { running.ids }

    /// How long a lease outlives its holder's last heartbeat: `BATCHLEDGER_LEASE_TTL` (whole seconds, 1 to 3600)
    /// when set, else the default.
    public var leaseTTL: Double {
        guard let text = environment["BATCHLEDGER_LEASE_TTL"], let seconds = Int(text), (1...3600).contains(seconds)
        else { return EventStore.leaseTTL }
        return Double(seconds)
    }
}
