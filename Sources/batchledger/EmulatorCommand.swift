import ArgumentParser
import Dispatch
import Foundation
import LocalCloud

/// `batchledger emulator`: run LocalCloud standalone until SIGINT or SIGTERM.
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run LocalCloud: Google Batch v1, Cloud Storage, Cloud Logging and OAuth emulated on one local port.",
        discussion: """
            Prints "LocalCloud listening on http://HOST:PORT" as its first line, then
            serves until SIGINT or SIGTERM. Point Google's clients at that URL (Batch
            and Logging: api_endpoint; Storage: STORAGE_EMULATOR_HOST). Job commands
            run as local processes in a bubblewrap sandbox in which the job's mount
            paths exist; Kestra's Python images run in a cached virtual environment
            with the kestra package; other images use the host's programs.

            Fault grammar for --faults (rules separated by ',' or ';'):
              METHOD=STATUS        every call answers STATUS       jobs.get=503
              METHOD=STATUSxN      the first N calls               jobs.create=503x2
              METHOD=STATUS@R      a random fraction R of calls    jobs.get=429@0.3
              METHOD=STATUS#I+J    calls number I and J (1-based)  objects.insert=500#2+4
              METHOD=drop[xN|@R|#I]  run the call, then drop the connection
                                                                   jobs.create=dropx1
              METHOD=latency:D     delay each call by D (ms, s, m)  *=latency:50ms
              job:KIND[@PREFIX][/D]  KIND = preempt (exit 50001), vm-lost (exit
                                   50002) or stuck-queued; no PREFIX: the next job
                                   created; PREFIX: every job whose id starts with
                                   it; D: how long it runs first  job:preempt@train-/2s
            METHOD: a name counted in GET /_emulator/stats (jobs.create, jobs.get,
            jobs.list, jobs.delete, jobs.cancel, tasks.list, tasks.get,
            operations.get, buckets.insert, buckets.get, objects.insert,
            objects.upload, objects.get, objects.download, objects.list,
            objects.delete, entries.list, token), or * for every method.
            --fault-rate R answers a fraction R of all API calls with 429, 500 or
            503, or drops the connection.
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free port).")
    var port = 0

    @Option(help: "Keep jobs, objects and logs in this folder, so they survive a restart.")
    var stateDir: String?

    @Option(help: "Seconds a job waits in QUEUED and SCHEDULED before running (stands for VM boot).")
    var startupDelay: Double = 0

    @Option(help: "Fault rules; see the grammar above.")
    var faults: String = ""

    @Option(help: "Answer this fraction (0-1) of all API requests with 429, 500 or 503, or drop the connection.")
    var faultRate: Double = 0

    @Flag(help: "Refuse requests without an access token from /token (assertions checked with --service-account-key).")
    var requireAuth = false

    @Option(help: "A service-account key file whose key verifies JWT assertions (repeatable).")
    var serviceAccountKey: [String] = []

    @Option(help: "Cache folder for the Python environment that stands in for Kestra's Python images.")
    var pythonCache: String?

    func run() async throws {
        let plan: FaultPlan
        do {
            plan = try FaultPlan.parse(faults, randomRate: faultRate)
        } catch {
            throw ValidationError("\(error)")
        }
        guard startupDelay >= 0 else { throw ValidationError("--startup-delay must not be negative") }
        let configuration = LocalCloudConfiguration(
            host: host, port: port, stateDirectory: stateDir.map { URL(fileURLWithPath: $0) },
            startupDelay: .milliseconds(Int64(startupDelay * 1000)), faults: plan, requireAuth: requireAuth,
            serviceAccountKeyFiles: serviceAccountKey.map { URL(fileURLWithPath: $0) },
            pythonCacheDirectory: pythonCache.map { URL(fileURLWithPath: $0) }
                ?? LocalCloudConfiguration.defaultPythonCacheDirectory)
        let cloud: LocalCloud
        do {
            cloud = try await LocalCloud.start(configuration)
        } catch {
            FileHandle.standardError.write(Data("batchledger emulator: \(error)\n".utf8))
            throw ExitCode(1)
        }
        FileHandle.standardOutput.write(Data("LocalCloud listening on \(cloud.endpoint.absoluteString)\n".utf8))
        await Self.waitForTermination()
        await cloud.shutdown()
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    static func waitForTermination() async {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
        for await _ in stream { break }
        for source in sources { source.cancel() }
    }
}
