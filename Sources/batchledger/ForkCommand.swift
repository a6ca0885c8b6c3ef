import ArgumentParser
import Engine
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
        if local { return Backend(kind: .local, endpoint: nil) }
        guard let endpoint, let url = URL(string: endpoint) else { return nil }
        return Backend(kind: .endpoint, endpoint: url.absoluteString)
    }
}
