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
            Prints "LocalCloud listening on http://HOST:PORT" as its first line, then serves until SIGINT or \
            SIGTERM. Point Google's clients at that URL (Batch and Logging: api_endpoint; Storage: \
            STORAGE_EMULATOR_HOST). Job commands run as local processes in a bubblewrap sandbox in which the \
            job's mount paths exist; Kestra's Python images run in a cached virtual environment with the kestra \
            package; other images use the host's programs.

            Fault grammar for --faults (rules separated by ',' or ';'):
              METHOD=STATUS          every call answers STATUS     jobs.get=503
              METHOD=STATUSxN        the first N calls             jobs.create=503x2
              METHOD=STATUS@R        a random fraction R of calls  jobs.get=429@0.3
              METHOD=STATUS#I+J      calls number I and J          objects.insert=500#2+4
              METHOD=drop[xN|@R|#I]  run it, drop the connection   jobs.create=dropx1
              METHOD=latency:D       delay each call by D          *=latency:50ms
              job:KIND[@PREFIX][/D]  a job misbehaves              job:preempt@train-/2s
            Calls are numbered from 1; D is a duration (ms, s, m). KIND is preempt (exit 50001), vm-lost (exit \
            50002) or stuck-queued; without PREFIX it is the next job created, with PREFIX every job whose id \
            starts with it; D is how long it runs first. METHOD is a name counted in GET /_emulator/stats \
            (jobs.create, jobs.get, jobs.list, jobs.delete, jobs.cancel, tasks.list, tasks.get, operations.get, \
            buckets.insert, buckets.get, objects.insert, objects.upload, objects.get, objects.download, \
            objects.list, objects.delete, entries.list, token), or * for every method. --fault-rate R answers a \
            fraction R of all API calls with 429, 500 or 503, or drops the connection.

            Isolation: a job is a local process running as this user, in a bubblewrap sandbox. It sees the host \
            read-only (without capabilities: what this user may read), can write only its own volume folders, a \
            private /tmp and home; the emulator's state, the temporary folder and this user's home are hidden. It \
            has a private process table, no capabilities and, with --job-network none (the default), no network: \
            neither the internet nor this emulator's API. A job that mounts a bucket sees all of that bucket. \
            There are no CPU, memory or disk limits and no seccomp filter: this is isolation for a development \
            tool, not a security boundary like a VM.
            """)

    @Option(help: "Address to listen on. Any address but a loopback one (127.0.0.1, ::1) needs --require-auth.")
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Port to listen on, 0-65535 (0 picks a free port).", valueName: "port"))
    var port = "0"

    @Option(help: "Keep jobs, objects and logs in this folder (made private, 0700), so they survive a restart.")
    var stateDir: String?

    @Option(
        help: ArgumentHelp(
            "Seconds a job waits in QUEUED and SCHEDULED before running, 0-86400 (stands for VM boot).",
            valueName: "seconds"))
    var startupDelay = "0"

    @Option(help: ArgumentHelp("Fault rules; see the grammar above.", valueName: "rules"))
    var faults: String = ""

    @Option(
        help: ArgumentHelp(
            "Answer this fraction (0-1) of all API requests with 429, 500 or 503, or drop the connection.",
            valueName: "fraction"))
    var faultRate = "0"

    @Flag(help: "Refuse requests without an access token from /token (assertions checked with --service-account-key).")
    var requireAuth = false

    @Option(help: "A service-account key file whose key verifies JWT assertions (repeatable).")
    var serviceAccountKey: [String] = []

    @Option(
        help: ArgumentHelp(
            "A service account callers may impersonate through generateAccessToken (repeatable); once one is "
                + "given, any other is refused with 403.",
            valueName: "email"))
    var impersonable: [String] = []

    @Option(help: "Cache folder for the Python environment that stands in for Kestra's Python images.")
    var pythonCache: String?

    @Option(
        help: ArgumentHelp(
            "Network a job sees: none (neither the internet nor this API) or host (as on Batch; a job can then "
                + "call this API too, so use --require-auth).",
            valueName: "none|host"))
    var jobNetwork = "none"

    @Option(help: ArgumentHelp("Largest JSON request body, in bytes (default: 8 MiB).", valueName: "bytes"))
    var maxRequestBytes: String?

    @Option(help: ArgumentHelp("Most jobs stored at once (default: 50,000).", valueName: "count"))
    var maxJobs: String?

    @Option(help: ArgumentHelp("Most tasks of all stored jobs (default: 500,000).", valueName: "count"))
    var maxTasks: String?

    @Option(help: ArgumentHelp("Most bytes of all stored job bodies (default: 1 GiB).", valueName: "bytes"))
    var maxJobBytes: String?

    @Option(help: ArgumentHelp("Most log entries kept (default: 1,000,000).", valueName: "count"))
    var maxLogEntries: String?

    @Option(help: ArgumentHelp("Most bytes of log text kept (default: 512 MiB).", valueName: "bytes"))
    var maxLogBytes: String?

    /// Longest startup delay accepted: a day.
    static let maxStartupDelaySeconds = 86_400.0

    /// A value quoted in a message: at most 100 characters, so that a huge argument does not flood the terminal.
    static func quoted(_ value: String) -> String {
        value.count <= 100 ? "'\(value)'" : "'\(value.prefix(100))…' (\(value.utf8.count) bytes)"
    }

    /// A decimal number in `range`, or a usage error naming the option and the range.
    static func number(_ text: String, option: String, in range: ClosedRange<Double>, unit: String = "") throws
        -> Double
    {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.utf8.count <= 32, trimmed.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 }),
            let value = Double(trimmed), value.isFinite, range.contains(value)
        else {
            throw ValidationError(
                "\(option) \(quoted(text)) is not valid: give a number from \(Self.format(range.lowerBound)) to "
                    + "\(Self.format(range.upperBound))\(unit)")
        }
        return value
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(value)
    }

    /// A whole number from 1 to 2^40, or a usage error naming the option.
    static func count(_ text: String, option: String) throws -> Int {
        Int(try number(text, option: option, in: 1...Double(1 << 40)).rounded(.down))
    }

    /// The bounds the options give (the help says each default in words, so the options have none of their own).
    var limits: LocalCloudLimits {
        get throws {
            let defaults = LocalCloudLimits.default
            return LocalCloudLimits(
                maxRequestBodyBytes: try maxRequestBytes.map { try Self.count($0, option: "--max-request-bytes") }
                    ?? defaults.maxRequestBodyBytes,
                maxJobs: try maxJobs.map { try Self.count($0, option: "--max-jobs") } ?? defaults.maxJobs,
                maxTasks: try maxTasks.map { try Self.count($0, option: "--max-tasks") } ?? defaults.maxTasks,
                maxJobBytes: try maxJobBytes.map { try Self.count($0, option: "--max-job-bytes") }
                    ?? defaults.maxJobBytes,
                maxLogEntries: try maxLogEntries.map { try Self.count($0, option: "--max-log-entries") }
                    ?? defaults.maxLogEntries,
                maxLogBytes: try maxLogBytes.map { try Self.count($0, option: "--max-log-bytes") }
                    ?? defaults.maxLogBytes)
        }
    }

    /// The job isolation `--job-network` gives.
    var isolation: JobIsolation {
        get throws {
            guard let network = JobIsolation.Network(rawValue: jobNetwork) else {
                throw ValidationError("--job-network \(Self.quoted(jobNetwork)) is not valid: give none or host")
            }
            return JobIsolation(network: network)
        }
    }

    /// The listening port, 0-65535.
    var portNumber: Int {
        get throws {
            let text = port.trimmingCharacters(in: .whitespaces)
            guard text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(text),
                (0...65535).contains(value)
            else {
                throw ValidationError(
                    "--port \(Self.quoted(port)) is not valid: give a port number from 0 to 65535 (0 picks a free port)"
                )
            }
            return value
        }
    }

    func validate() throws {
        _ = try portNumber
        _ = try Self.number(
            startupDelay, option: "--startup-delay", in: 0...Self.maxStartupDelaySeconds, unit: " seconds")
        _ = try Self.number(faultRate, option: "--fault-rate", in: 0...1)
        _ = try limits
        _ = try isolation
        if !requireAuth && !LocalCloudConfiguration.isLoopback(host: host) {
            throw ValidationError(
                "--host \(Self.quoted(host)) is not a loopback address: an emulator others can reach runs their "
                    + "commands on this machine, so it needs --require-auth with --service-account-key FILE "
                    + "(callers then need a token from its /token endpoint); or listen on 127.0.0.1")
        }
    }

    func run() async throws {
        let delaySeconds = try Self.number(
            startupDelay, option: "--startup-delay", in: 0...Self.maxStartupDelaySeconds, unit: " seconds")
        let plan: FaultPlan
        do {
            plan = try FaultPlan.parse(
                faults, randomRate: try Self.number(faultRate, option: "--fault-rate", in: 0...1))
        } catch let error as ValidationError {
            throw error
        } catch {
            let message = "\(error)"
            throw ValidationError(message.count <= 400 ? message : "\(message.prefix(400))…")
        }
        var configuration = LocalCloudConfiguration(
            host: host, port: try portNumber, stateDirectory: stateDir.map { URL(fileURLWithPath: $0) },
            startupDelay: .milliseconds(Int64((delaySeconds * 1000).rounded())), faults: plan,
            requireAuth: requireAuth, serviceAccountKeyFiles: serviceAccountKey.map { URL(fileURLWithPath: $0) },
            pythonCacheDirectory: pythonCache.map { URL(fileURLWithPath: $0) }
                ?? LocalCloudConfiguration.defaultPythonCacheDirectory,
            limits: try limits, jobIsolation: try isolation)
        if !impersonable.isEmpty { configuration.impersonableAccounts = Set(impersonable) }
        let cloud: LocalCloud
        do {
            cloud = try await LocalCloud.start(configuration)
        } catch {
            let message = "\(error)"
            FileHandle.standardError.write(
                Data("batchledger emulator: \(message.count <= 1000 ? message : message.prefix(1000) + "…")\n".utf8))
            throw ExitCode(ExitCodes.failed)
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
