import Foundation
import GoogleCloud
import Ledger

/// The Google clients of an execution, one set per identity (a task's `serviceAccount`, or the default
/// credentials), with one job watcher per location and one log multiplexer per project.
actor ServiceRegistry {
    let target: CloudTarget
    let executionLabel: String
    private var services: [String: CloudServices] = [:]
    private var watchers: [String: BatchWatcher] = [:]
    private var multiplexers: [String: LogMultiplexer] = [:]
    private var retryObserver: RetryObserver?

    init(target: CloudTarget, executionLabel: String) {
        self.target = target
        self.executionLabel = executionLabel
    }

    func observeRetries(_ observer: @escaping RetryObserver) {
        retryObserver = observer
    }

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
        let observer = retryObserver
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
        let watcher = BatchWatcher(client: services.batch, location: location, executionLabel: executionLabel)
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
