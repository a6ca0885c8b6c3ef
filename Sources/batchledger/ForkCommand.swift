import ArgumentParser
import Engine
import Flows
import Foundation
import Ledger

/// `batchledger fork EXECUTION --from TASK`.
struct ForkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fork",
        abstract: "Start a new execution that takes the parent's outcomes before TASK and runs TASK and what follows.",
        usage: "batchledger fork <execution> --from <task> [<options>]",
        discussion: """
            The parent is left as it is; the ledger links both ways. Where the parent ran (local emulator, \
            endpoint, Google) is where the fork runs; --local or --endpoint choose otherwise. A parent loaded with \
            batchledger import is refused (exit 2) unless --include-imported.
            """)

    @Argument(help: "The parent execution id.")
    var execution: String

    @Option(
        help: ArgumentHelp(
            "What runs again: a task (anywhere in the flow) with what follows it, or one ForEach iteration "
                + "'task[value]'.", valueName: "task"))
    var from: String

    @Option(
        name: .customLong("input"),
        help: ArgumentHelp(
            "An input value replacing the parent's (repeatable; name=@path for a file).", valueName: "name=value"))
    var inputs: [String] = []

    @Option(
        help: ArgumentHelp("Run this revision of the parent's flow instead of the parent's text.", valueName: "file"))
    var flow: String?

    @Flag(help: "Run on the embedded LocalCloud emulator.")
    var local = false

    @Option(help: ArgumentHelp("Send every Google API call to this base URL.", valueName: "url"))
    var endpoint: String?

    @OptionGroup var recovery: RecoveryOptions

    func run() async throws {
        let console = Console(json: recovery.json)
        let refusal = { (id: String, origin: ImportOrigin) in
            ImportRefusal.message(id, origin: origin, command: "fork", fromTask: from)
        }
        try await ExitCodes.run("fork", console: console, refusal: refusal) {
            var request = ForkRequest(
                parent: execution, fromTask: from, secrets: try Secrets.load(recovery.secretsFile),
                backend: backend, includeImported: recovery.includeImported)
            try addChanges(to: &request, engine: recovery.ledgerOptions.engine())
            let outcome = try await recovery.ledgerOptions.engine().fork(
                request, observer: ConsoleObserver.make(console, command: "fork"))
            try ExecutionPrinter.finish(outcome, json: recovery.json, console: console)
        }
    }

    /// --flow and --input: the new flow text, and the inputs checked against the flow the fork runs.
    private func addChanges(to request: inout ForkRequest, engine: Engine) throws {
        var declared: [FlowInput] = []
        if let flow {
            let text: String
            do {
                text = try String(contentsOfFile: flow, encoding: .utf8)
            } catch {
                throw EngineFailure.invalidRequest([
                    "--flow \(flow): cannot read the flow file (\(error.localizedDescription))"
                ])
            }
            let loaded = try LoadedFlow(FlowSource(path: flow, text: text))
            request.flow = loaded
            declared = loaded.flow.inputs
        } else if !inputs.isEmpty, let started = try engine.state(of: execution).started {
            declared = try LoadedFlow(FlowSource(path: started.flowPath, text: started.flowSource)).flow.inputs
        }
        (request.inputs, request.files) = try InputArguments.parse(inputs, declared: declared)
    }

    /// Where the fork runs when the options say: --local, or --endpoint (a URL); nil for where the parent ran.
    private var backend: Backend? {
        if local { return Backend(kind: .local, endpoint: nil) }
        guard let endpoint, let url = URL(string: endpoint) else { return nil }
        return Backend(kind: .endpoint, endpoint: url.absoluteString)
    }
}
