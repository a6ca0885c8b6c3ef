import ArgumentParser
import Engine
import Foundation
import GoogleCloud
import Hummingbird
import Ledger
import Server
import ServiceLifecycle
import Templates

/// `batchledger serve`: Kestra's REST API over the ledger, for Kestra's own tools and SDKs. It keeps flows in the
/// ledger, starts, kills, restarts and replays executions on the engine, and answers reads; on start it resumes
/// every interrupted execution (under the ledger's leases, so a `run` or `recover` on the same ledger never drives
/// the same one); SIGTERM stops it without ending any execution (the next start resumes them).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve Kestra's REST API: flows, executions, logs, over the ledger.",
        usage: "batchledger serve [--local | --endpoint URL] [--port PORT] [<options>]",
        discussion: """
            Answers Kestra's API under http://HOST:PORT/api/v1/main/ (flows, executions, logs) in Kestra's JSON \
            shapes, with Kestra's state names. Executions run where --local or --endpoint says (else on Google \
            Cloud Batch with Application Default Credentials); their output files go under --output-dir. With \
            --token-file (one name:token line per caller), every request needs Authorization: Bearer TOKEN and \
            the ledger records the token's name as who asked. Without it the server listens on loopback only. \
            SIGINT or SIGTERM stops it gracefully: running Batch jobs keep running and are resumed at the next start.
            """)

    @OptionGroup var ledgerOptions: LedgerOptions

    @Flag(help: "Run executions on an embedded LocalCloud emulator (one for the server).")
    var local = false

    @Option(
        help: ArgumentHelp("Send every Google API call to this base URL (a standalone emulator).", valueName: "url"))
    var endpoint: String?

    @Option(
        help: ArgumentHelp("A file of NAME=value lines with secrets (plain values; # comments).", valueName: "file"))
    var secretsFile: String?

    @Option(
        help: ArgumentHelp(
            "Where output files are downloaded (default: outputs next to the ledger).", valueName: "folder"))
    var outputDir: String?

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port, printed at start).")
    var port = 8080

    @Option(
        help: ArgumentHelp("A file of name:token lines; each request must carry one of the tokens.", valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("The largest request body accepted, in bytes.", valueName: "bytes"))
    var maxBody = KestraResponder.defaultMaximumBodySize

    @Option(
        help: ArgumentHelp(
            "How long an execution's lease outlives its driver's last heartbeat before another replica may take it "
                + "over, in seconds (1 to 3600; default: $BATCHLEDGER_LEASE_TTL, else 10).",
            valueName: "seconds"))
    var leaseTTL: String?

    func validate() throws {
        guard (0...65_535).contains(port) else {
            throw ValidationError("--port must be from 0 to 65535, not \(port)")
        }
        guard (1_024...(1 << 30)).contains(maxBody) else {
            throw ValidationError("--max-body must be from 1024 to 1073741824 bytes, not \(maxBody)")
        }
        if let leaseTTL, CloudTargets.leaseTTL(leaseTTL) == nil {
            throw ValidationError(
                "--lease-ttl must be a whole number of seconds from \(CloudTargets.leaseTTLRange.lowerBound) to "
                    + "\(CloudTargets.leaseTTLRange.upperBound), not \(String(leaseTTL.prefix(40)))")
        }
        if local && endpoint != nil { throw ValidationError("--local and --endpoint: choose one") }
        if let endpoint, URL(string: endpoint)?.host == nil {
            throw ValidationError("--endpoint \(endpoint): not a URL; give one like http://127.0.0.1:8080")
        }
        if tokenFile == nil, !["127.0.0.1", "::1", "localhost"].contains(host) {
            throw ValidationError(
                "without --token-file the server listens on loopback only (127.0.0.1, ::1 or localhost); "
                    + "give --token-file FILE to listen on \(host)")
        }
    }

    func run() async throws {
        let tokens: APITokens?
        do {
            tokens = try tokenFile.map { try APITokens(file: $0) }
        } catch {
            printError("batchledger serve: \(error)")
            throw ExitCode(ExitCodes.invalidInput)
        }
        var environment = ProcessInfo.processInfo.environment
        if let leaseTTL { environment[CloudTargets.leaseTTLVariable] = leaseTTL }
        let targets = ServeTargets(environment: environment)
        let engine = Engine(ledgerPath: ledgerOptions.path, targets: targets, environment: environment)
        let store: EventStore = try ExitCodes.run("serve") { try engine.store(.create) }
        let secrets: SecretStore = try ExitCodes.run("serve") { try Secrets.load(secretsFile) }
        let backend: Backend = try ExitCodes.run("serve") { try self.backend(environment) }
        // Over a shared ledger the file is this host's cache: outputs go beside it, as they would beside a ledger.
        let outputs =
            outputDir.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: store.path).deletingLastPathComponent().appendingPathComponent("outputs")
        // Replicas on a shared ledger answer a request with FILE inputs once its files are in the bucket.
        let executions = ExecutionHost(
            engine: engine, backend: backend, secrets: secrets, outputDirectory: outputs.standardizedFileURL,
            storesInputFilesBeforeAnswering: store.hasRecord)
        let history = HistoryAPI(store: store)
        let server = KestraServer.serving(
            store: store, executions: executions, tokens: tokens, host: host, port: port,
            pages: WebUI(store: store, tokens: tokens, history: history), maximumBodySize: maxBody, history: history)
        try await ExitCodes.run("serve") { try await targets.prepare(backend) }
        let resumed = try ExitCodes.run("serve") { try executions.recoverInterrupted() }
        let host = host
        // Schedule triggers fire once the interrupted executions are being resumed.
        let scheduler = Scheduler(host: executions, library: FlowLibrary(store: store))
        var services: [any Service] = [scheduler]
        if store.hasRecord {
            // Replicas on one shared ledger: follow what the others write, take over what a dead one drove.
            services.append(ReplicaFollower(store: store, host: executions))
        }
        let app = server.application(services: services) { port in
            let shown = host.contains(":") ? "[\(host)]" : host
            var line =
                "batchledger serve: Kestra's API on http://\(shown):\(port)/api/v1/main/ over \(store.name)"
                + (tokens == nil ? " (no token file: loopback only)" : "")
            if !resumed.isEmpty { line += "\nbatchledger serve: resuming \(resumed.count) interrupted execution(s)" }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        do {
            try await app.runService()
        } catch {
            await executions.shutdown()
            await targets.shutdown()
            throw error
        }
        await executions.shutdown()
        await targets.shutdown()
    }

    /// Where executions started here run: --local, --endpoint (or BATCHLEDGER_GOOGLE_ENDPOINT), else Google.
    private func backend(_ environment: [String: String]) throws -> Backend {
        if local { return Backend(kind: .local, endpoint: nil) }
        let resolved: (endpoints: GoogleEndpoints, emulated: Bool)
        do {
            resolved = try GoogleEndpoints.resolve(
                override: endpoint.flatMap(URL.init(string:)), environment: environment)
        } catch {
            throw EngineFailure.invalidRequest(["\(error)"])
        }
        guard resolved.emulated else { return Backend(kind: .google, endpoint: nil) }
        return Backend(kind: .endpoint, endpoint: resolved.endpoints.batch.absoluteString)
    }
}
