import ArgumentParser
import Engine
import Foundation
import Ledger

/// `batchledger audit`: events across executions, filtered.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Find events across executions: by type, execution, flow, task, job, secret and time.",
        usage: "batchledger audit [<options>]",
        discussion: """
            Every filter given must hold. TIME is RFC 3339 (2026-11-22T08:00:00Z), a date (2026-11-22, UTC \
            midnight), or an age: 90m, 24h, 7d. With --json, one JSON object per line (NDJSON), as batchledger \
            events --json prints.

            Examples:
              batchledger audit --type JobCreated --since 7d
                  every job created in the last 7 days
              batchledger audit --type TaskFailed --task upload
                  every failure of task upload
              batchledger audit --secret GCP_PROJECT_ID
                  the renders that used that secret
              batchledger audit --job companyteam-multi-task-generate-8ca468ec-a1
                  the events of the attempt that ran that job
            """)

    @Option(name: .long, help: "Only events of this type (repeat for several).")
    var type: [String] = []

    @Option(name: .long, help: "Only this execution (repeat for several).")
    var execution: [String] = []

    @Option(name: .long, help: "Only executions of this flow, NAMESPACE/ID.")
    var flow: String?

    @Option(name: .long, help: "Only events of this task (its id, which takes in its ForEach runs) or task run.")
    var task: [String] = []

    @Option(name: .long, help: "Only events of the attempt that ran this Batch job (its id or resource name).")
    var job: String?

    @Option(name: .long, help: "Only the events that name this secret (TaskRendered, AttemptStarted).")
    var secret: String?

    @Option(name: .long, help: ArgumentHelp("Only events recorded at or after TIME.", valueName: "time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Only events recorded before TIME.", valueName: "time"))
    var until: String?

    @Option(
        name: .customLong("requested-by"),
        help: ArgumentHelp("Only events of what this caller asked a server for.", valueName: "name"))
    var requestedBy: String?

    @Option(name: .long, help: "At most this many events.")
    var limit: Int?

    @Option(
        name: .customLong("label"),
        help: ArgumentHelp("Only executions with this label (repeatable).", valueName: "key=value"))
    var labels: [String] = []

    @Flag(help: "Print one JSON object per event per line.")
    var json = false

    @OptionGroup var ledgerOptions: LedgerOptions

    /// The options as the question they ask.
    var question: AuditQuestion {
        var question = AuditQuestion()
        question.types = type
        question.executions = execution
        question.flow = flow
        question.tasks = task
        question.job = job
        question.secret = secret
        question.since = since
        question.until = until
        question.requestedBy = requestedBy
        question.limit = limit
        question.labels = (try? ExecutionsCommand.labelFilter(labels)) ?? [:]
        return question
    }

    func validate() throws {
        _ = try ExecutionsCommand.labelFilter(labels)
        if let problem = question.problem() {
            throw ValidationError(problem.message(naming: "--" + problem.field.rawValue))
        }
    }

    func run() throws {
        let store = try ExitCodes.run("audit") { try ledgerOptions.openReadOnly() }
        let printer = EventPrinter(json: json, showExecution: true)
        if try question.answer(from: store, { printer.print($0) }) == .noExecutionOfFlow {
            var which = flow.map { ["of flow \($0)"] } ?? []
            if !labels.isEmpty { which.append("with label \(labels.joined(separator: ", "))") }
            printError(
                TerminalText.escaped("batchledger audit: no execution \(which.joined(separator: " ")) in \(store.name)")
            )
            return
        }
        printer.finish()
        if printer.count == 0 && !json {
            printError("batchledger audit: no event matches")
        }
    }
}
