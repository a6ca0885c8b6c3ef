import ArgumentParser
import Dispatch
import Engine
import Foundation
import GoogleCloud

/// `batchledger run FLOW`: run a flow on Google Batch, the embedded emulator, or an emulator at an endpoint.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Kestra flow's script tasks on Google Batch, recording every action in the ledger.",
        usage: "batchledger run <flow> [--local | --endpoint <url>] [<options>]",
        discussion: """
            Where the flow runs: --local starts the embedded LocalCloud emulator; --endpoint URL (or \
            BATCHLEDGER_GOOGLE_ENDPOINT) sends every Google call to that emulator; otherwise Google, with the \
            task runner's serviceAccount or Application Default Credentials.

            Exit status: 0 success (also WARNING), 1 a task failed, 2 invalid input (flow, template, secret, \
            arguments), 3 any other error (I/O, a Google API that refused after retries), 130 cancelled.
            """)

    @Argument(help: "The flow file (Kestra YAML).")
    var flow: String

    @Flag(help: "Run on the embedded LocalCloud emulator.")
    var local = false

    @Option(
        help: ArgumentHelp("Send every Google API call to this base URL (a standalone emulator).", valueName: "url"))
    var endpoint: String?

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(
        help: ArgumentHelp("A file of NAME=value lines with secrets (plain values; # comments).", valueName: "file"))
    var secretsFile: String?

    @Option(
        help: ArgumentHelp(
            "The folder of namespace files (default: ./namespaces/<namespace>/ when it exists).", valueName: "folder"))
    var namespaceFiles: String?

    @Option(
        name: .customLong("input"),
        help: ArgumentHelp(
            "A flow input (repeatable); a FILE input takes a file: name=@path.", valueName: "name=value"))
    var inputs: [String] = []

    @Option(
        name: .customLong("label"),
        help: ArgumentHelp("A label of the execution, besides the flow's (repeatable).", valueName: "key=value"))
    var labels: [String] = []

    @Option(help: ArgumentHelp("Where output files are downloaded.", valueName: "folder"))
    var outputDir = "outputs"

    @Flag(help: "Write one JSON document to standard output at the end; everything else goes to standard error.")
    var json = false

    func run() async throws {
        let console = Console(json: json)
        let engine = ledgerOptions.engine()
        let id = Engine.newExecutionID()
        try await ExitCodes.run("run", console: console) {
            let request = try startRequest(executionId: id)
            let triggers = request.flow.flow.triggers.map(\.id.value)
            if !triggers.isEmpty {
                console.note(
                    "the flow's triggers (\(triggers.joined(separator: ", "))) are ignored by run, which runs the flow "
                        + "once now: batchledger serve fires them")
            }
            let interrupts = Interrupts {
                console.note("cancelling: deleting running jobs (Ctrl-C again to quit at once)")
                engine.kill(id)
            }
            defer { interrupts.stop() }
            let outcome: ExecutionOutcome
            do {
                outcome = try await engine.start(request, observer: ConsoleObserver.make(console, command: "run"))
            } catch {
                // Whatever was recorded before the failure, as the document a script reads.
                if json, let recorded = try? engine.state(of: id) { print(try ExecutionReport(recorded).json()) }
                throw error
            }
            try ExecutionPrinter.finish(outcome, json: json, console: console)
        }
    }

    /// The request the arguments make: the flow read and checked, the inputs, secrets, folders and backend.
    private func startRequest(executionId: String) throws -> StartRequest {
        let text: String
        do {
            text = try String(contentsOfFile: flow, encoding: .utf8)
        } catch {
            throw EngineFailure.invalidRequest(["\(flow): cannot read the flow file (\(error.localizedDescription))"])
        }
        let loaded = try LoadedFlow(FlowSource(path: flow, text: text))
        let (given, files) = try InputArguments.parse(inputs, declared: loaded.flow.inputs)
        var request = StartRequest(
            flow: loaded, inputs: given, secrets: try Secrets.load(secretsFile), backend: try backend(),
            outputDirectory: URL(fileURLWithPath: outputDir),
            namespaceFilesDirectory: namespaceFolder(namespace: loaded.flow.namespace.value),
            executionId: executionId, labels: try LabelArguments.parse(labels, option: "--label"))
        request.files = files
        return request
    }

    /// Where the flow runs: --local, --endpoint (or BATCHLEDGER_GOOGLE_ENDPOINT), else Google.
    private func backend() throws -> Backend {
        if local && endpoint != nil { throw EngineFailure.invalidRequest(["--local and --endpoint: choose one"]) }
        if local { return Backend(kind: .local, endpoint: nil) }
        let resolved: (endpoints: GoogleEndpoints, emulated: Bool)
        do {
            resolved = try GoogleEndpoints.resolve(
                override: endpoint.flatMap(URL.init(string:)), environment: ProcessInfo.processInfo.environment)
        } catch {
            throw EngineFailure.invalidRequest(["\(error)"])
        }
        if let endpoint, URL(string: endpoint)?.host == nil {
            throw EngineFailure.invalidRequest([
                "--endpoint \(endpoint): not a URL; give one like http://127.0.0.1:8080"
            ])
        }
        guard resolved.emulated else { return Backend(kind: .google, endpoint: nil) }
        return Backend(kind: .endpoint, endpoint: resolved.endpoints.batch.absoluteString)
    }

    /// --namespace-files, else ./namespaces/<namespace>/ when it exists.
    private func namespaceFolder(namespace: String) -> URL? {
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

/// What run and fork print when the execution ended: the JSON document under --json, else its final state;
/// then its exit status.
enum ExecutionPrinter {
    static func finish(_ outcome: ExecutionOutcome, json: Bool, console: Console) throws {
        if json {
            print(try outcome.report.json())
        } else {
            console.status("execution \(outcome.executionId) \(outcome.state.state)")
        }
        if let code = ExitCodes.status(of: outcome.ending) { throw code }
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
