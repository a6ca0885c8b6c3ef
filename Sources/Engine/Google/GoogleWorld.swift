import Clocks
import Foundation
import GoogleCloud
import Ledger

/// Google's APIs (or any endpoint that speaks them), as the engine's `CloudWorld`: one set of clients per
/// identity, one `entries.list` allowance per project shared by every identity, and every retry of every call
/// recorded, in order, in the execution (and task run) that made it.
public actor GoogleWorld: CloudWorld {
    public let endpoints: GoogleEndpoints
    let transport: any HTTPTransport
    /// For tasks without a `serviceAccount`: Application Default Credentials on Google, none (anonymous calls)
    /// or a fixed token on an emulator. Nil means such tasks cannot run, and say why.
    let defaultCredentials: (any AccessTokenProvider)?
    let timing: Timing
    let clock: AnyClock<Duration>
    private var services: [String: WorldServices] = [:]
    private var budgets: [String: RequestBudget] = [:]
    private var logs: [String: GoogleTaskLogs] = [:]
    /// The allowance the quotas are also drawn from, shared with the other processes of the ledger.
    private var sharedQuotas: (any SharedRequestAllowance)?

    /// A budget above this many calls a minute keeps no real quota (an emulator's): it stays this process's
    /// alone, rather than cost a ledger write per call.
    static let sharedBudgetLimit = 1_000

    public init(
        endpoints: GoogleEndpoints, transport: any HTTPTransport, defaultCredentials: (any AccessTokenProvider)?,
        timing: Timing, clock: AnyClock<Duration> = .continuous
    ) {
        self.endpoints = endpoints
        self.transport = transport
        self.defaultCredentials = defaultCredentials
        self.timing = timing
        self.clock = clock
    }

    /// Budgets made from now on take each call from `allowance` too (the first allowance given stays: one
    /// process has one ledger).
    public func shareQuotas(through allowance: any SharedRequestAllowance) {
        if sharedQuotas == nil { sharedQuotas = allowance }
    }

    public func services(for identity: Identity) throws -> WorldServices {
        let identityKey = identity.serviceAccountJSON.map { SHA256Digest.of(Data($0.utf8)).hex } ?? "default"
        let key =
            identityKey + "|" + identity.scopes.joined(separator: " ") + "|"
            + (identity.impersonatedServiceAccount.map { SHA256Digest.of(Data($0.utf8)).hex } ?? "")
        if let existing = services[key] { return existing }
        var credentials: any AccessTokenProvider
        if let json = identity.serviceAccountJSON {
            credentials = try ApplicationDefaultCredentials.fromJSON(
                Data(json.utf8), origin: identity.origin, scopes: identity.scopes, tokenEndpoint: endpoints.token,
                transport: transport
            ).provider
        } else if let defaultCredentials {
            credentials = defaultCredentials
        } else {
            throw EngineError.noCredentials(
                "no Google credentials for \(identity.origin): set the task runner's serviceAccount, set "
                    + "GOOGLE_APPLICATION_CREDENTIALS, or run gcloud auth application-default login")
        }
        if let target = identity.impersonatedServiceAccount {
            // Every Batch, Storage and Logging call of the task is made as the impersonated account.
            credentials = ImpersonatedCredentials(
                source: credentials, targetPrincipal: target, scopes: identity.scopes,
                endpoint: endpoints.iamCredentials, transport: transport, retry: timing.callRetry)
        }
        let caller = APICaller(
            transport: transport, credentials: credentials, retry: timing.callRetry, observer: RetryRecording.observer,
            clock: clock)
        let logging = LoggingClient(caller: caller, endpoint: endpoints.logging)
        let created = WorldServices(
            key: key,
            jobs: GoogleBatchJobs(client: BatchClient(caller: caller, endpoint: endpoints.batch), timing: timing),
            storage: GoogleObjectStorage(client: StorageClient(caller: caller, endpoint: endpoints.storage)),
            logs: { project in await self.logs(key: key, client: logging, project: project) })
        services[key] = created
        return created
    }

    /// The log reader of one identity for one project; the allowance is the project's, whoever reads.
    private func logs(key: String, client: LoggingClient, project: String) -> GoogleTaskLogs {
        let id = key + "|" + project
        if let existing = logs[id] { return existing }
        let budget = budgets[project] ?? makeBudget(project)
        budgets[project] = budget
        let reader = GoogleTaskLogs(
            reader: BatchLogReader(client: client, project: project, budget: budget), clock: clock)
        logs[id] = reader
        return reader
    }

    /// The `entries.list` budget of `project`: shared, when an allowance was given, under a name that says the
    /// endpoint and the project (two emulators' projects of the same name are two quotas).
    private func makeBudget(_ project: String) -> RequestBudget {
        let perMinute = timing.logReadsPerMinute
        guard let sharedQuotas, perMinute <= Self.sharedBudgetLimit else {
            return RequestBudget(perMinute: perMinute, clock: clock)
        }
        return RequestBudget(
            perMinute: perMinute, clock: clock,
            scope: "\(endpoints.logging.absoluteString) entries.list projects/\(project)", shared: sharedQuotas)
    }
}

/// Records every retry of a Google call in the execution (and task run) that made it, before the wait.
enum RetryRecording {
    struct Context: Sendable {
        var recorder: ExecutionRecorder
        var taskRunId: String?
    }

    /// The execution and task run whose calls are made in the current task.
    @TaskLocal static var current: Context?

    static let observer: RetryObserver = { event in
        guard let context = current else { return }
        try await context.recorder.record(
            .apiCallRetried(
                APICallRetried(
                    taskRunId: context.taskRunId, call: event.call, failedAttempt: event.failedAttempt,
                    status: event.status, reason: event.reason, delaySeconds: event.delay.seconds)))
    }
}
