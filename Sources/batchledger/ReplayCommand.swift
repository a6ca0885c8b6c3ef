import ArgumentParser
import Engine
import Foundation
import Ledger

/// `batchledger replay EXECUTION`: step through an execution event by event, or check that the engine still
/// makes the recorded decisions.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Step through an execution, event by event, with the state change each one made.",
        usage: "batchledger replay <execution> [--check] [<options>]",
        discussion: """
            Use show --at SEQ for the whole state right after one event. With --check, the engine runs again over \
            the recorded history, every Google call answered from the ledger, and the command fails (exit 1), \
            naming the first differing step, if the engine would now decide differently.
            """)

    @Argument(help: "The execution id.")
    var execution: String

    @OptionGroup var ledgerOptions: LedgerOptions

    @Flag(help: "Decision replay: run the engine against the recorded history and compare its decisions.")
    var check = false

    @Option(
        help: ArgumentHelp(
            "A file of NAME=value lines with the secrets the execution used (for --check).", valueName: "file"))
    var secretsFile: String?

    func run() async throws {
        let engine = ledgerOptions.engine()
        // Read-only: a missing ledger is an error, never created. --check may need to create the ledger's secret
        // digest key (a ledger from before keyed digests), so it opens for writing once the file is known to exist.
        try ExitCodes.run("replay") {
            _ = try engine.store(.readOnly)
            _ = try engine.state(of: execution, access: check ? .existing : .readOnly)
        }
        guard check else {
            for step in try engine.timeline(of: execution) {
                print(TerminalText.escaped("\(step.seq)  \(step.time)  \(step.type)  \(step.summary)"))
                for change in step.changes { print(TerminalText.escaped("      → \(change)")) }
            }
            return
        }
        try await ExitCodes.run("replay --check") {
            switch try await engine.check(execution, secrets: try Secrets.load(secretsFile)) {
            case .asRecorded(let report):
                print(
                    "decision replay of \(execution): \(report.taskRuns) task run(s), \(report.decisions) decisions, "
                        + "all as recorded")
            case .diverged(let divergence):
                print(
                    divergence.description.split(separator: "\n", omittingEmptySubsequences: false)
                        .map { TerminalText.escaped(String($0)) }.joined(separator: "\n"))
                throw ExitCode(ExitCodes.failed)
            }
        }
    }
}

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

    @Option(help: ArgumentHelp("The top-level task to run again, with everything after it.", valueName: "task"))
    var from: String

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
            let request = ForkRequest(
                parent: execution, fromTask: from, secrets: try Secrets.load(recovery.secretsFile),
                backend: backend, includeImported: recovery.includeImported)
            let outcome = try await recovery.ledgerOptions.engine().fork(
                request, observer: ConsoleObserver.make(console, command: "fork"))
            try ExecutionPrinter.finish(outcome, json: recovery.json, console: console)
        }
    }

    /// Where the fork runs when the options say: --local, or --endpoint (a URL); nil for where the parent ran.
    private var backend: Backend? {
        if local { return Backend(kind: "local", endpoint: nil) }
        guard let endpoint, let url = URL(string: endpoint) else { return nil }
        return Backend(kind: "endpoint", endpoint: url.absoluteString)
    }
}
