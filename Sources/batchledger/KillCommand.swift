import ArgumentParser
import Engine
import Foundation
import Ledger

/// `batchledger kill EXECUTION`: kill an execution, whichever process drives it.
struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill",
        abstract: "Kill an execution, whichever process drives it: its jobs are deleted and it ends CANCELLED.",
        usage: "batchledger kill <execution> [--ledger <path>] [--json]",
        discussion: """
            The request is recorded in the ledger with who asked ($BATCHLEDGER_USER, else the user name). The \
            process that drives the execution (a run, a recover, a serve) notices it within a second, deletes the \
            execution's jobs and records CANCELLED; kill waits for that. An execution that no process drives any \
            more (its process was killed) is killed by this command: its lease taken, its jobs deleted, its task \
            runs in flight cancelled, then its finally tasks run here (kill waits for them; --secrets-file gives \
            the secrets they read). A second kill of the same execution stops a finally that a kill started.

            Exit status: 0 killed, 1 it ended otherwise before the kill reached it, 2 an unknown execution or one \
            that had already ended, 3 any other error (also: its driver did not end it within --wait seconds).
            """)

    @Argument(help: "The execution id.")
    var execution: String

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(
        help: ArgumentHelp(
            "A file of NAME=value secrets, for an execution without a driver whose project or bucket is a secret.",
            valueName: "file"))
    var secretsFile: String?

    @Option(help: ArgumentHelp("How long to wait for the execution's driver to end it.", valueName: "seconds"))
    var wait: Int = 120

    @Flag(help: "Write the execution's JSON document (as show --json) to standard output at the end.")
    var json = false

    func validate() throws {
        if !(1...86_400).contains(wait) {
            throw ValidationError("--wait \(wait): give a number of seconds from 1 to 86400 (a day)")
        }
    }

    func run() async throws {
        let console = Console(json: json)
        let engine = ledgerOptions.engine()
        try await ExitCodes.run("kill", console: console) {
            let request = KillRequest(
                executionId: execution, requestedBy: Self.requester(), secrets: try Secrets.load(secretsFile),
                wait: .seconds(wait))
            switch try await engine.kill(request) {
            case .alreadyEnded(let state):
                if json { print(try ExecutionReport(state).json()) }
                console.error(
                    "batchledger kill: execution \(execution) already ended \(state.state): there is nothing to kill")
                throw ExitCode(ExitCodes.invalidInput)
            case .stillRunning(let holder):
                console.error(
                    "batchledger kill: execution \(execution) did not end within \(wait) s; the process that drives "
                        + "it (\(holder.map(\.description) ?? "unknown")) has the request recorded and kills it when "
                        + "it next checks; run kill again to wait more")
                throw ExitCode(ExitCodes.otherError)
            case .ended(let outcome, let how):
                if json {
                    print(try outcome.report.json())
                } else {
                    console.status(
                        "execution \(outcome.executionId) \(outcome.state.state) (killed by \(request.requestedBy); "
                            + "ended by \(how.rawValue))")
                }
                if outcome.state.state != .cancelled {
                    console.error(
                        "batchledger kill: execution \(execution) ended \(outcome.state.state) before the kill "
                            + "reached it")
                    throw ExitCode(ExitCodes.failed)
                }
            }
        }
    }

    /// Who asks: $BATCHLEDGER_USER, else the name of the effective user.
    static func requester() -> String {
        if let name = ProcessInfo.processInfo.environment["BATCHLEDGER_USER"], !name.isEmpty { return name }
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(geteuid())"
    }
}
