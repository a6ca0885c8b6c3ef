import Foundation
import GoogleCloud
import Ledger

/// The Google clients of an execution (or of all the executions one `recover` resumes), one set per identity (a
/// task's `serviceAccount`, or the default credentials), with one job watcher per location and one log
/// multiplexer per project, so that many jobs are watched with few calls.
public actor ServiceRegistry {
    let target: CloudTarget
    /// The `jobs.list` filter of the watchers: one execution's label, or every BatchLedger job's.
    let watchFilter: String
    private var services: [String: CloudServices] = [:]
    private var watchers: [String: BatchWatcher] = [:]
    private var multiplexers: [String: LogMultiplexer] = [:]

    /// Services for one execution.
    init(target: CloudTarget, executionLabel: String) {
        self.target = target
        watchFilter = "labels.batchledger-execution=\"\(executionLabel)\""
    }

    /// Services shared by several executions (recovery): watchers list every BatchLedger job.
    public init(sharedBy target: CloudTarget) {
        self.target = target
        watchFilter = "labels.\(Naming.managedLabel)=\"\(Naming.managedValue)\""
    }

    /// The execution whose recorder receives the retries of calls made in the current task.
    @TaskLocal static var retryRecorder: ExecutionRecorder?

    /// The services for a task whose runner gives `serviceAccountJSON` (rendered) or none.
    func services(serviceAccountJSON: String?, scopes: [String], origin: String) throws -> (
        key: String, services: CloudServices
    ) {
        let key = serviceAccountJSON.map { SHA256Digest.of(Data($0.utf8)).hex } ?? "default"
        let cacheKey = key + "|" + scopes.joined(separator: " ")
        if let existing = services[cacheKey] { return (cacheKey, existing) }
        let credentials: any AccessTokenProvider
        if let serviceAccountJSON {
            credentials = try ApplicationDefaultCredentials.fromJSON(
                Data(serviceAccountJSON.utf8), origin: origin, scopes: scopes, tokenEndpoint: target.endpoints.token,
                transport: target.transport
            ).provider
        } else if let defaults = target.defaultCredentials {
            credentials = defaults
        } else if target.emulated {
            credentials = AnonymousCredentials()
        } else {
            throw EngineError.noCredentials(
                "no Google credentials for \(origin): set the task runner's serviceAccount, set "
                    + "GOOGLE_APPLICATION_CREDENTIALS, or run gcloud auth application-default login")
        }
        // Each retry is recorded in the execution whose task made the call.
        let observer: RetryObserver = { event in
            guard let recorder = ServiceRegistry.retryRecorder else { return }
            Task {
                try? await recorder.record(
                    .apiCallRetried(
                        APICallRetried(
                            taskRunId: nil, call: event.call, failedAttempt: event.failedAttempt, status: event.status,
                            reason: event.reason, delaySeconds: event.delay.seconds)))
            }
        }
        let caller = APICaller(
            transport: target.transport, credentials: credentials,
            retry: target.fastPolling
                ? BackoffPolicy(
                    maxAttempts: 8, initialDelay: .milliseconds(100), maximumDelay: .seconds(2), deadline: .seconds(60))
                : BackoffPolicy(),
            observer: observer)
        let created = CloudServices(
            batch: BatchClient(caller: caller, endpoint: target.endpoints.batch),
            storage: StorageClient(caller: caller, endpoint: target.endpoints.storage),
            logging: LoggingClient(caller: caller, endpoint: target.endpoints.logging),
            logBudgetPerMinute: target.fastPolling ? 100_000 : 55)
        services[cacheKey] = created
        return (cacheKey, created)
    }

    func watcher(key: String, services: CloudServices, location: BatchLocation) -> BatchWatcher {
        let id = key + "|" + location.description
        if let existing = watchers[id] { return existing }
        let watcher = BatchWatcher(client: services.batch, location: location, filter: watchFilter)
        watchers[id] = watcher
        return watcher
    }

    func logs(key: String, services: CloudServices, project: String) -> LogMultiplexer {
        let id = key + "|" + project
        if let existing = multiplexers[id] { return existing }
        let reader = BatchLogReader(
            client: services.logging, project: project, budget: RequestBudget(perMinute: services.logBudgetPerMinute))
        let multiplexer = LogMultiplexer(reader: reader)
        multiplexers[id] = multiplexer
        return multiplexer
    }
}
