import ArgumentParser
import Dispatch
import Engine
import Flows
import Foundation
import GoogleCloud
import Ledger
import LocalCloud
import Templates

/// `batchledger run FLOW`: run a flow on Google Batch, the embedded emulator, or an emulator at an endpoint.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Kestra flow's script tasks on Google Batch, recording every action in the ledger.",
        discussion: """
            Where the flow runs: --local starts the embedded LocalCloud emulator; --endpoint URL (or
            BATCHLEDGER_GOOGLE_ENDPOINT) sends every Google call to that emulator; otherwise Google, with the task
            runner's serviceAccount or Application Default Credentials.
            Exit status: 0 success (also WARNING), 1 a task failed, 2 invalid input (flow, template, secret,
            arguments), 3 any other error (I/O, a Google API that refused after retries), 130 cancelled.
            """)

    @Argument(help: "The flow file (Kestra YAML).")
    var flow: String

    @Flag(help: "Run on the embedded LocalCloud emulator.")
    var local = false

    @Option(help: "Send every Google API call to this base URL (a standalone emulator).")
    var endpoint: String?

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(help: "A file of NAME=value lines with secrets (plain values; # comments).")
    var secretsFile: String?

    @Option(help: "The folder of namespace files (default ./namespaces/<namespace>/ when it exists).")
    var namespaceFiles: String?

    @Option(name: .customLong("input"), help: "A flow input, NAME=VALUE (repeatable).")
    var inputs: [String] = []

    @Option(help: "Where output files are downloaded (default ./outputs).")
    var outputDir = "outputs"

    @Flag(help: "Write one JSON document to standard output at the end; everything else goes to standard error.")
    var json = false

    func run() async throws {
        let output = Console(json: json)
        do {
            try await execute(output)
        } catch let exit as ExitCode {
            throw exit
        } catch let problems as FlowProblems {
            for line in problems.problems { output.error(line) }
            throw ExitCode(2)
        } catch let error as SecretError {
            output.error("\(error)")
            throw ExitCode(2)
        } catch let error as TemplateError {
            output.error("\(error)")
            throw ExitCode(2)
        } catch {
            output.error("batchledger run: \(error)")
            throw ExitCode(3)
        }
    }

    private func execute(_ output: Console) async throws {
        let source: String
        do {
            source = try String(contentsOfFile: flow, encoding: .utf8)
        } catch {
            throw FlowProblems(["\(flow): cannot read the flow file (\(error.localizedDescription))"])
        }
        let parsed = try ExecutionRunner.load(flowPath: flow, source: source)
        var given: [String: String] = [:]
        for input in inputs {
            guard let equals = input.firstIndex(of: "="), equals != input.startIndex else {
                throw FlowProblems(["--input \(input): write NAME=VALUE"])
            }
            given[String(input[..<equals])] = String(input[input.index(after: equals)...])
        }
        let environment = ProcessInfo.processInfo.environment
        let secrets = SecretStore(
            environment: environment, file: try secretsFile.map { try SecretsFile.load(from: $0) })
        let namespaceFolder = try namespaceFolder(namespace: parsed.namespace.value)

        let transport = CurlTransport()
        var embedded: LocalCloud?
        let target: CloudTarget
        if local && endpoint != nil {
            throw FlowProblems(["--local and --endpoint: choose one"])
        }
        if local {
            let (localTarget, cloud) = try await CloudTargets.local(transport: transport, environment: environment)
            embedded = cloud
            target = localTarget
        } else {
            let resolved: (endpoints: GoogleEndpoints, emulated: Bool)
            do {
                resolved = try GoogleEndpoints.resolve(
                    override: endpoint.flatMap(URL.init(string:)), environment: environment)
            } catch {
                throw FlowProblems(["\(error)"])
            }
            if let endpoint, URL(string: endpoint)?.host == nil {
                throw FlowProblems(["--endpoint \(endpoint): not a URL; give one like http://127.0.0.1:8080"])
            }
            if resolved.emulated {
                target = try CloudTargets.endpoint(resolved.endpoints, transport: transport, environment: environment)
            } else {
                let found = try ApplicationDefaultCredentials.find(environment: environment, transport: transport)
                let flowHasKeys = parsed.allTasks.contains { task in
                    if case .script(let script) = task { return script.taskRunner?.serviceAccount != nil }
                    return false
                }
                if found == nil && !flowHasKeys {
                    throw FlowProblems([
                        "no Google credentials and no endpoint: to run on Google, set GOOGLE_APPLICATION_CREDENTIALS "
                            + "or run gcloud auth application-default login; to run without Google, add --local "
                            + "(the embedded emulator) or --endpoint URL (a standalone batchledger emulator)"
                    ])
                }
                target = CloudTarget.google(
                    backend: Backend(kind: "google", endpoint: nil), endpoints: resolved.endpoints,
                    defaultCredentials: found?.provider, transport: transport,
                    timing: try CloudTargets.timing(environment, default: .standard))
            }
        }
        // The embedded emulator is stopped, and its folder removed, before the command returns, however it ends.
        let outcome: Result<Void, any Error>
        do {
            try await drive(
                parsed, source: source, inputs: given, secrets: secrets, environment: environment,
                namespaceFolder: namespaceFolder, target: target, output: output)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        if let embedded { await embedded.shutdown() }
        try outcome.get()
    }

    private func drive(
        _ parsed: Flow, source: String, inputs given: [String: String], secrets: SecretStore,
        environment: [String: String], namespaceFolder: URL?, target: CloudTarget, output: Console
    ) async throws {
        let store = try EventStore(
            path: ledgerOptions.path,
            options: .init(projections: [ProjectionRegistration(ExecutionSummaryProjection.self)]))
        let interrupted = try store.cachedStates(ExecutionSummaryProjection.self).values.filter {
            $0.state == "RUNNING"
        }
        if !interrupted.isEmpty {
            output.note(
                "the ledger holds \(interrupted.count) interrupted execution(s); batchledger recover resumes them "
                    + "(this run starts a new one)")
        }
        var generator = SystemRandomNumberGenerator()
        let executionId = Naming.executionID(using: &generator)
        output.status(
            "execution \(executionId) · flow \(parsed.namespace.value)/\(parsed.id.value) · \(target.summary)")
        let display = RunDisplay(console: output)
        let configuration = RunConfiguration(
            target: target, secrets: secrets, environment: environment,
            outputDirectory: URL(fileURLWithPath: outputDir).standardizedFileURL,
            namespaceFilesDirectory: namespaceFolder,
            observer: { event, state in display.show(event, state) }, notice: { output.note($0) })
        let runner = ExecutionRunner(store: store, configuration: configuration)

        let work = Task {
            try await runner.run(flow: parsed, flowPath: flow, source: source, inputs: given, executionId: executionId)
        }
        let interrupts = Interrupts {
            output.note("cancelling: deleting running jobs (Ctrl-C again to quit at once)")
            work.cancel()
        }
        defer { interrupts.stop() }
        let state: ExecutionState
        do {
            state = try await work.value
        } catch {
            if let recorded = try? store.executionState(executionId), json {
                print(try ExecutionReport(recorded).json())
            }
            throw error
        }
        if json {
            print(try ExecutionReport(state).json())
        } else {
            output.status("execution \(executionId) \(state.state)")
        }
        switch state.state {
        case "SUCCEEDED", "WARNING": return
        case "CANCELLED": throw ExitCode(130)
        default: throw ExitCode(1)
        }
    }

    private func namespaceFolder(namespace: String) throws -> URL? {
        if let namespaceFiles {
            return URL(fileURLWithPath: namespaceFiles)
        }
        let conventional = URL(fileURLWithPath: "namespaces").appendingPathComponent(namespace)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: conventional.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return conventional
        }
        return nil
    }
}

/// SIGINT/SIGTERM: the first one cancels the run (jobs are deleted, the ledger records it); a second exits at
/// once with 130, leaving the ledger consistent for `recover`.
final class Interrupts: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    init(onFirst: @escaping @Sendable () -> Void) {
        for signal in [SIGINT, SIGTERM] {
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { [self] in
                let first = lock.withLock {
                    count += 1
                    return count == 1
                }
                if first { onFirst() } else { _exit(130) }
            }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for source in sources { source.cancel() }
    }
}
