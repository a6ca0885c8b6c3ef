import Foundation
import Hummingbird
import Logging
import NIOCore

/// The LocalCloud emulator: Google Batch v1, Cloud Storage JSON v1, Cloud Logging v2 (`entries:list`) and an
/// OAuth2 token endpoint on one base URL, running job runnables as sandboxed local processes.
///
/// Paths served from `endpoint`: `/v1/projects/...` (Batch), `/storage/v1/...`, `/upload/storage/v1/...`,
/// `/download/storage/v1/...` (Storage), `/v2/entries:list` (Logging), `/token` (OAuth), `/_emulator/stats`.
///
/// How jobs run: each runnable's `entrypoint` + `commands` (or script text) runs as a local process in its own
/// process group, inside a bubblewrap mount namespace where every GCS volume's `mountPath` and every container
/// volume target (`/mnt/disks/share:/<wid>`) is bound to the bucket folder; `/tmp` is private to the job.
/// No container engine is used: images of the Kestra Python family get a cached virtual environment with the
/// `kestra` package, every other image runs with the host's programs (a status event of type `IMAGE_RUNTIME`
/// says which). stdout lines are INFO entries, stderr lines ERROR entries in `batch_task_logs`, written only
/// when `logsPolicy.destination` is `CLOUD_LOGGING`, as on Batch.
///
/// Restarts: `shutdown()` kills the jobs' processes. If the emulator process dies instead (crash, SIGKILL),
/// the jobs go on (their exit codes go to files) and an emulator restarted on the same state directory
/// watches them to their end; output written while no emulator ran is not logged. Temporary data folders
/// of emulators that ended without `shutdown()` are removed by the next emulator that starts.
///
/// ```swift
/// let cloud = try await LocalCloud.start(LocalCloudConfiguration())
/// print(cloud.endpoint)   // http://127.0.0.1:PORT
/// await cloud.shutdown()
/// ```
public actor LocalCloud {
    /// The base URL of all four services, e.g. `http://127.0.0.1:40123`.
    public nonisolated let endpoint: URL
    /// The configuration it was started with.
    public nonisolated let configuration: LocalCloudConfiguration
    /// The folder that holds objects, sidecars and exit files (the state directory, or a temporary one).
    public nonisolated let dataDirectory: URL

    private let serverTask: Task<Void, any Error>
    private let batch: BatchService
    private let logs: LogStore
    private let lock: StateLock?
    private let ownsDataDirectory: Bool
    private var stopped = false

    private init(
        endpoint: URL, configuration: LocalCloudConfiguration, dataDirectory: URL, ownsDataDirectory: Bool,
        serverTask: Task<Void, any Error>, batch: BatchService, logs: LogStore, lock: StateLock?
    ) {
        self.logs = logs
        self.lock = lock
        self.endpoint = endpoint
        self.configuration = configuration
        self.dataDirectory = dataDirectory
        self.ownsDataDirectory = ownsDataDirectory
        self.serverTask = serverTask
        self.batch = batch
    }

    /// Starts an emulator and returns once it is listening.
    public static func start(_ configuration: LocalCloudConfiguration) async throws -> LocalCloud {
        try await start(configuration, sandbox: Sandbox.detect())
    }

    /// Starts an emulator with a given sandbox tool (tests use it to simulate a host without bubblewrap).
    static func start(_ configuration: LocalCloudConfiguration, sandbox: Sandbox.Tool) async throws -> LocalCloud {
        let now: @Sendable () -> Date = { Date() }
        let tokens = try TokenService(
            keyFiles: configuration.serviceAccountKeyFiles, requireAuth: configuration.requireAuth, now: now)
        let ownsData = configuration.stateDirectory == nil
        if ownsData { sweepAbandonedDataDirectories() }
        let data =
            configuration.stateDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("localcloud-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        } catch {
            throw LocalCloudError.configuration("cannot create the state directory \(data.path): \(error)")
        }
        // A temporary folder is locked too, so a later emulator can tell it from one whose owner died.
        let lock: StateLock? = try StateLock(directory: data)
        let storage = try StorageService(root: data.appendingPathComponent("storage"), now: now)
        let logs = try LogStore(stateDirectory: configuration.stateDirectory, now: now)
        let stats = EmulatorStats()
        let faults = FaultInjector(plan: configuration.faults)
        let batch = BatchService(
            .init(
                storage: storage, logs: logs, stats: stats, faults: faults,
                python: PythonEnvironment(cacheDirectory: configuration.pythonCacheDirectory),
                sandbox: sandbox,
                startupDelay: configuration.startupDelay, stateDirectory: configuration.stateDirectory,
                workDirectory: data.appendingPathComponent("work"), now: now))
        await batch.restore()
        let responder = EmulatorResponder(
            batch: BatchRoutes(service: batch), storage: StorageRoutes(service: storage),
            logging: LoggingRoutes(store: logs), tokens: tokens, stats: stats, faults: faults)
        let (portStream, portContinuation) = AsyncStream<Int?>.makeStream()
        var logger = Logger(label: "LocalCloud")
        logger.logLevel = .critical
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port)
                portContinuation.finish()
            },
            logger: logger)
        let serverTask = Task {
            defer { portContinuation.finish() }
            try await app.run()
        }
        var port: Int?
        for await value in portStream {
            port = value
            break
        }
        guard let port else {
            serverTask.cancel()
            await batch.shutdown(killJobs: true)
            lock?.release()
            if ownsData { try? FileManager.default.removeItem(at: data) }
            let failure = await serverTask.result
            if case .failure(let error) = failure {
                throw LocalCloudError.configuration(
                    "could not listen on \(configuration.host):\(configuration.port): \(error)")
            }
            throw LocalCloudError.configuration("could not listen on \(configuration.host):\(configuration.port)")
        }
        let hostText = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return LocalCloud(
            endpoint: URL(string: "http://\(hostText):\(port)")!, configuration: configuration, dataDirectory: data,
            ownsDataDirectory: ownsData, serverTask: serverTask, batch: batch, logs: logs, lock: lock)
    }

    /// Removes temporary data folders (`localcloud-*`) left by emulators that ended without `shutdown()`
    /// (a process that exited or crashed): their lock file is no longer held.
    static func sweepAbandonedDataDirectories() {
        let temporary = FileManager.default.temporaryDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix("localcloud-") {
            let folder = temporary.appendingPathComponent(name)
            let lockFile = folder.appendingPathComponent(".localcloud.lock").path
            // Only folders idle for a minute: a starting emulator is never touched.
            guard
                let modified = (try? FileManager.default.attributesOfItem(atPath: lockFile))?[.modificationDate]
                    as? Date,
                Date().timeIntervalSince(modified) > 60, let probe = try? StateLock(directory: folder)
            else { continue }
            probe.release()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Stops listening and kills the jobs' processes; a temporary data folder is removed.
    public func shutdown() async {
        await stop(killJobs: true)
    }

    /// Stops listening but leaves the jobs' processes running and stops writing state, as if the emulator
    /// process had been killed (used to test that a restarted emulator adopts them).
    func abandon() async {
        await stop(killJobs: false)
    }

    private func stop(killJobs: Bool) async {
        guard !stopped else { return }
        stopped = true
        await batch.shutdown(killJobs: killJobs)
        if !killJobs { await logs.detach() }
        lock?.release()
        serverTask.cancel()
        _ = await serverTask.result
        if ownsDataDirectory && killJobs { try? FileManager.default.removeItem(at: dataDirectory) }
    }
}
