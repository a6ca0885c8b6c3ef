import ArgumentParser
import Engine
import Foundation

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
        }
        guard check else {
            for step in try ExitCodes.run("replay", { try engine.timeline(of: execution) }) {
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
