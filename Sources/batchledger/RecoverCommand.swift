import ArgumentParser
import Engine
import Foundation
import Ledger

/// What recover, resume and fork share: the ledger, secrets, the JSON switch and imported executions.
struct RecoveryOptions: ParsableArguments {
    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(help: ArgumentHelp("A file of NAME=value lines with secrets (plain values; # comments).", valueName: "file"))
    var secretsFile: String?

    @Flag(help: "Print one JSON document at the end (everything else on standard error).")
    var json = false

    @Flag(
        help: """
            Also drive executions loaded with batchledger import. Their flow, folders and endpoint come from the \
            export, so without this flag they are refused (exit 2): use it only for an export you trust.
            """)
    var includeImported = false

    /// The recovery the options ask for (the secrets file read now).
    func request() throws -> RecoveryRequest {
        RecoveryRequest(secrets: try Secrets.load(secretsFile), includeImported: includeImported)
    }
}

/// `batchledger recover`: resume every interrupted execution.
struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Resume every execution a crash or a kill interrupted, reconciling each step with Batch and Storage.",
        usage: "batchledger recover [<options>]",
        discussion: """
            Everything comes from the ledger (flow, inputs, endpoint, output folder); secrets are read again from the \
            environment and --secrets-file. Executions loaded with batchledger import are left alone (said on \
            standard error) unless --include-imported.

            Exit status: 0 when every interrupted execution was driven to its end (or is being driven by another \
            live process, or there was nothing to do), 2 when an imported execution was left alone, 3 when \
            recovery failed for any.
            """)

    @OptionGroup var options: RecoveryOptions

    func run() async throws {
        let console = Console(json: options.json)
        let engine = options.ledgerOptions.engine()
        try await ExitCodes.run("recover", console: console) {
            guard let interrupted = try RecoveryPrinter.interrupted(engine, json: options.json) else { return }
            let report = try await engine.resume(
                interrupted, try options.request(), observer: ConsoleObserver.make(console, command: "recover"))
            try RecoveryPrinter.finish(report, json: options.json, command: "recover")
        }
    }
}

/// `batchledger resume EXECUTION`.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resume one interrupted execution.",
        usage: "batchledger resume <execution> [<options>]",
        discussion: """
            An execution loaded with batchledger import is refused (exit 2) unless --include-imported.

            Exit status: 0 when it was driven to its end (or another live process drives it), 3 when recovery \
            failed.
            """)

    @Argument(help: "The execution id.")
    var execution: String

    @OptionGroup var options: RecoveryOptions

    func run() async throws {
        let console = Console(json: options.json)
        try await ExitCodes.run("resume", console: console) {
            let request = try options.request()
            let report = try await options.ledgerOptions.engine().resume(
                [execution], request, observer: ConsoleObserver.make(console, command: "resume"))
            try RecoveryPrinter.finish(report, json: options.json, command: "resume")
        }
    }
}

/// What recover and resume print besides the engine's progress: "nothing to recover", and the JSON summary.
enum RecoveryPrinter {
    /// One execution in the JSON summary.
    struct Entry: Encodable {
        var executionId: String
        /// finished, already-terminal, held, failed, imported (refused: loaded by import)
        var outcome: String
        var state: RunState?
        var detail: String?
    }

    /// The JSON summary.
    struct Summary: Encodable {
        var recovered: [Entry]
        /// Batch calls made to reconcile (not to watch afterwards).
        var jobsListCalls: Int
        var jobsGetCalls: Int
    }

    /// The interrupted executions, or nil when there is no ledger (said, as an empty summary under --json);
    /// "nothing to recover" when there are none.
    static func interrupted(_ engine: Engine, json: Bool) throws -> [String]? {
        let ids: [String]
        switch Result(catching: { () throws(EngineFailure) -> [String] in try engine.interruptedExecutions() }) {
        case .success(let found):
            ids = found
        case .failure(.noLedger(let path)):
            if json {
                print(try encoded(Summary(recovered: [], jobsListCalls: 0, jobsGetCalls: 0)))
            } else {
                print("nothing to recover: no ledger at \(path)")
            }
            return nil
        case .failure(let failure):
            throw failure
        }
        if ids.isEmpty && !json {
            print("nothing to recover: no interrupted execution in \(LedgerOptions.shown(engine.ledgerPath))")
        }
        return ids
    }

    /// Prints the JSON summary under --json, then throws the recovery's exit status.
    static func finish(_ report: RecoveryReport, json: Bool, command: String) throws {
        if json {
            print(
                try encoded(
                    Summary(
                        recovered: report.outcomes.map { entry($0, command: command) },
                        jobsListCalls: report.jobsListCalls, jobsGetCalls: report.jobsGetCalls)))
        }
        if let code = ExitCodes.status(of: report) { throw code }
    }

    static func entry(_ outcome: RecoveryOutcome, command: String) -> Entry {
        let id = outcome.executionId
        switch outcome.result {
        case .finished(let final):
            return Entry(executionId: id, outcome: "finished", state: final.state, detail: nil)
        case .alreadyTerminal(let final):
            return Entry(executionId: id, outcome: "already-terminal", state: final.state, detail: nil)
        case .held(let holder):
            return Entry(executionId: id, outcome: "held", state: .running, detail: "\(holder)")
        case .failed(.noSuchExecution):
            return Entry(executionId: id, outcome: "failed", state: nil, detail: "no such execution in the ledger")
        case .failed(let failure):
            return Entry(executionId: id, outcome: "failed", state: .running, detail: "\(failure)")
        case .refusedImported(let origin):
            return Entry(
                executionId: id, outcome: "imported", state: nil,
                detail: ImportRefusal.message(id, origin: origin, command: command))
        }
    }

    private static func encoded(_ summary: Summary) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(summary), as: UTF8.self)
    }
}
