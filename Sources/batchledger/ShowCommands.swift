import ArgumentParser
import Engine
import Foundation
import Ledger

/// Opens an existing ledger for commands that read and may then write (fork, recover, resume, replay --check), or
/// exits 3 with the reason (a missing ledger is never created). Commands that only read use
/// `LedgerOptions.openReadOnly(command:)`.
func openLedgerForReading(_ options: LedgerOptions, command: String = "") throws -> EventStore {
    try options.requireExisting(command: command)
    do {
        return try EventStore(
            path: options.path,
            options: .init(projections: [ProjectionRegistration(ExecutionSummaryProjection.self)]))
    } catch {
        printError("batchledger: \(error)")
        throw ExitCode(3)
    }
}

/// The state of an execution, or exit 2 naming the id that is not in the ledger.
func loadExecution(_ store: EventStore, _ id: String, through seq: Int64? = nil) throws -> ExecutionState {
    guard let state = try store.executionState(id, through: seq) else {
        printError(
            "batchledger: no execution \(Excerpt.of(id)) in \(store.path); batchledger executions lists them")
        throw ExitCode(2)
    }
    return state
}

/// `batchledger show EXECUTION`.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show an execution: its state and each task run's outputs.")

    @Argument(help: "The execution id.")
    var execution: String

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(help: "Show the state as it was right after this event (its global seq).")
    var at: Int64?

    @Flag(help: "Print the JSON document that run --json prints (plus importedFrom for an imported execution).")
    var json = false

    func validate() throws {
        if let at, at < 1 { throw ValidationError("--at \(at): give the seq of an event, 1 or more") }
    }

    func run() throws {
        let store = try ledgerOptions.openReadOnly(command: "show")
        let state = try loadExecution(store, execution, through: at)
        let report = ExecutionReport(state)
        let origin = try store.importOrigin(of: execution)
        if json {
            print(try ShownExecution(report: report, importedFrom: origin).json())
            return
        }
        print(
            TerminalText.escaped(
                "execution \(report.executionId) · flow \(report.namespace)/\(report.flowId) · \(report.state)"))
        print(
            "started \(report.startedAt ?? "-") · ended \(report.endedAt ?? "-")"
                + (at.map { " · as of seq \($0)" } ?? ""))
        if let origin {
            print(
                TerminalText.escaped(
                    "imported \(origin.importedAt) from the ledger \(Excerpt.of(origin.sourceLedger)): a copy of "
                        + "another ledger's record"))
        }
        for task in report.tasks {
            var line = "  \(task.id)\(task.value.map { "[\($0)]" } ?? "")  \(task.state)  attempts \(task.attempts)"
            if let job = task.jobName { line += "  job \(job)" }
            if let code = task.exitCode { line += "  exit \(code)" }
            print(TerminalText.escaped(line))
            for key in task.vars.keys.sorted() {
                print(TerminalText.escaped("    vars.\(key) = \(task.vars[key]!.compactText)"))
            }
            for name in task.outputFiles.keys.sorted() {
                print(TerminalText.escaped("    file \(name) → \(task.outputFiles[name]!)"))
            }
            for (object, reason) in (task.refusedOutputFiles ?? [:]).sorted(by: { $0.key < $1.key }) {
                print(TerminalText.escaped("    refused object \(OutputPath.quoted(object)): \(reason)"))
            }
            if let reason = task.failureReason, task.state != "SUCCEEDED" {
                print(TerminalText.escaped("    reason: \(reason)"))
            }
        }
    }
}

/// `batchledger executions`.
struct ExecutionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "executions", abstract: "List the executions in the ledger, newest first.")

    @OptionGroup var ledgerOptions: LedgerOptions

    @Flag(help: "Print {\"executions\": [...]} as JSON.")
    var json = false

    func run() throws {
        let store = try ledgerOptions.openReadOnly(command: "executions")
        let summaries = try store.cachedStates(ExecutionSummaryProjection.self).values
            .sorted { ($0.startedAt ?? "", $0.executionId) > ($1.startedAt ?? "", $1.executionId) }
        let origins = try store.importOrigins()
        if json {
            let list = summaries.map { summary -> [String: Any] in
                [
                    "executionId": summary.executionId, "namespace": summary.namespace, "flowId": summary.flowId,
                    "state": summary.state, "startedAt": summary.startedAt ?? NSNull(),
                    "endedAt": summary.endedAt ?? NSNull(),
                    "importedFrom": origins[summary.executionId].map { origin -> Any in
                        ["sourceLedger": origin.sourceLedger, "importedAt": origin.importedAt]
                    } ?? NSNull(),
                ]
            }
            let data = try JSONSerialization.data(
                withJSONObject: ["executions": list], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for summary in summaries {
            var line =
                "\(summary.executionId)  \(summary.namespace)/\(summary.flowId)  \(summary.state)  \(summary.startedAt ?? "-")"
            if let origin = origins[summary.executionId] {
                line += "  imported from \(Excerpt.of(origin.sourceLedger))"
            }
            print(TerminalText.escaped(line))
        }
    }
}

/// `batchledger logs EXECUTION`.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print an execution's stored task logs, one line each.")

    @Argument(help: "The execution id.")
    var execution: String

    @Option(help: "Only this task's lines.")
    var task: String?

    @OptionGroup var ledgerOptions: LedgerOptions

    func run() throws {
        let store = try ledgerOptions.openReadOnly(command: "logs")
        _ = try loadExecution(store, execution)
        try store.readStream(execution) { event in
            guard event.type == "LogLinesReceived",
                case .logLinesReceived(let lines)? = try ExecutionEvent.decode(event)
            else { return }
            let taskId = lines.taskRunId.split(separator: "[").first.map(String.init) ?? lines.taskRunId
            if let task, task != taskId && task != lines.taskRunId { return }
            for line in lines.lines {
                print(TerminalText.escaped("\(line.time) \(lines.taskRunId) \(line.severity) \(line.text)"))
            }
        }
    }
}

/// What `show --json` prints: the document `run --json` prints, plus `importedFrom` (source ledger and import
/// time) for an execution imported from an export. Encoded with the same encoder settings, so a native
/// execution's document is byte for byte the one `run --json` printed.
struct ShownExecution: Encodable {
    var report: ExecutionReport
    var importedFrom: ImportOrigin?

    private enum Keys: String, CodingKey {
        case importedFrom, sourceLedger, importedAt
    }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        guard let importedFrom else { return }
        var container = encoder.container(keyedBy: Keys.self)
        var origin = container.nestedContainer(keyedBy: Keys.self, forKey: .importedFrom)
        try origin.encode(importedFrom.sourceLedger, forKey: .sourceLedger)
        try origin.encode(importedFrom.importedAt, forKey: .importedAt)
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
