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
/// process group, in a bubblewrap sandbox: the host read-only, the emulator's state, the temporary folder and the
/// user's home hidden, a private process table, no capabilities, no network unless `JobIsolation.network` is
/// `.host`, umask 077; every GCS volume's `mountPath` and every container volume target (`/mnt/disks/share:/<wid>`)
/// is bound (writable) to the bucket folder; `/tmp` is private to the job. Jobs run as the emulator's user: this is
/// isolation for a development tool, not a security boundary like a VM.
/// No container engine is used: images of the Kestra Python family get a cached virtual environment with the
/// `kestra` package, every other image runs with the host's programs (a status event of type `IMAGE_RUNTIME`
/// says which). stdout lines are INFO entries, stderr lines ERROR entries in `batch_task_logs`, written only
/// when `logsPolicy.destination` is `CLOUD_LOGGING`, as on Batch.
///
/// Who can call it: it listens on 127.0.0.1 unless told otherwise, and refuses to start on any other address
/// without `requireAuth`. With `requiredBearerToken` (the embedded emulator of `run --local`), every request must
/// carry that token. Its state folder is private (`0700`, files `0600`), and Storage names are checked and resolved
/// below it without following links (`StorageNames`, `ConfinedFolder`).
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
        if let refusal = configuration.refusal { throw LocalCloudError.configuration(refusal) }
        let tokens = try TokenService(
            keyFiles: configuration.serviceAccountKeyFiles, requireAuth: configuration.requireAuth,
            requiredToken: configuration.requiredBearerToken, now: now)
        let ownsData = configuration.stateDirectory == nil
        if ownsData { sweepAbandonedDataDirectories() }
        let data: URL
        if let stateDirectory = configuration.stateDirectory {
            data = stateDirectory
            try PrivateFolder.prepare(stateDirectory)
        } else {
            data = try PrivateFolder.makeTemporary(in: FileManager.default.temporaryDirectory, prefix: "localcloud-")
        }
        // A temporary folder is locked too, so a later emulator can tell it from one whose owner died.
        let lock: StateLock? = try StateLock(directory: data)
        let storage = try StorageService(root: data.appendingPathComponent("storage"), now: now)
        let logs = try LogStore(stateDirectory: configuration.stateDirectory, now: now, limits: configuration.limits)
        let stats = EmulatorStats()
        let faults = FaultInjector(plan: configuration.faults)
        let batch = BatchService(
            .init(
                storage: storage, logs: logs, stats: stats, faults: faults,
                python: PythonEnvironment(cacheDirectory: configuration.pythonCacheDirectory),
                sandbox: sandbox,
                startupDelay: configuration.startupDelay, stateDirectory: configuration.stateDirectory,
                workDirectory: data.appendingPathComponent("work"), now: now, limits: configuration.limits,
                isolation: configuration.jobIsolation))
        await batch.restore()
        let responder = EmulatorResponder(
            batch: BatchRoutes(service: batch), storage: StorageRoutes(service: storage),
            logging: LoggingRoutes(store: logs), tokens: tokens,
            iam: IAMCredentialsRoutes(tokens: tokens, impersonableAccounts: configuration.impersonableAccounts),
            stats: stats, faults: faults,
            limits: configuration.limits)
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
            if ownsData { ConfinedFolder.removeTree(at: data) }
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

    /// A new secret for `LocalCloudConfiguration.requiredBearerToken`: 32 random bytes as 64 hex digits.
    public static func makeBearerToken() -> String { TokenService.makeToken() }

    /// Removes temporary data folders (`localcloud-*` in `folder`) left by emulators that ended without
    /// `shutdown()` (a process that exited or was killed). A folder is removed only when it is a real folder (not
    /// a link) of this user whose lock file exists and is no longer held: its emulator is dead, since the kernel
    /// drops the lock with the process. A starting emulator creates its lock file already locked, so it is
    /// never taken for a dead one; a folder with no lock file is left alone.
    static func sweepAbandonedDataDirectories(in folder: URL = FileManager.default.temporaryDirectory) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix("localcloud-") {
            let candidate = folder.appendingPathComponent(name)
            var info = stat()
            guard lstat(candidate.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == geteuid(),
                let probe = try? StateLock(directory: candidate, createIfMissing: false)
            else { continue }
            ConfinedFolder.removeTree(at: candidate)
            probe.release()
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
        serverTask.cancel()
        _ = await serverTask.result
        // Removed while still locked, so that no other emulator's sweep works on it at the same time.
        if ownsDataDirectory && killJobs { ConfinedFolder.removeTree(at: dataDirectory) }
        lock?.release()
    }
}
