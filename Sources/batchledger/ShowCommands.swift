import ArgumentParser
import Engine
import Foundation
import Ledger

/// Opens the ledger for reading, or exits 3 with the reason.
func openLedgerForReading(_ options: LedgerOptions) throws -> EventStore {
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
        printError("batchledger: no execution \(id) in \(store.path); batchledger executions lists them")
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

    @Flag(help: "Print the JSON document that run --json prints.")
    var json = false

    func run() throws {
        let store = try openLedgerForReading(ledgerOptions)
        let state = try loadExecution(store, execution, through: at)
        let report = ExecutionReport(state)
        if json {
            print(try report.json())
            return
        }
        print("execution \(report.executionId) · flow \(report.namespace)/\(report.flowId) · \(report.state)")
        print(
            "started \(report.startedAt ?? "-") · ended \(report.endedAt ?? "-")"
                + (at.map { " · as of seq \($0)" } ?? ""))
        for task in report.tasks {
            var line = "  \(task.id)\(task.value.map { "[\($0)]" } ?? "")  \(task.state)  attempts \(task.attempts)"
            if let job = task.jobName { line += "  job \(job)" }
            if let code = task.exitCode { line += "  exit \(code)" }
            print(line)
            for key in task.vars.keys.sorted() { print("    vars.\(key) = \(task.vars[key]!.compactText)") }
            for name in task.outputFiles.keys.sorted() { print("    file \(name) → \(task.outputFiles[name]!)") }
            for (object, reason) in (task.refusedOutputFiles ?? [:]).sorted(by: { $0.key < $1.key }) {
                print("    refused object \(OutputPath.quoted(object)): \(reason)")
            }
            if let reason = task.failureReason, task.state != "SUCCEEDED" { print("    reason: \(reason)") }
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
        let store = try openLedgerForReading(ledgerOptions)
        let summaries = try store.cachedStates(ExecutionSummaryProjection.self).values
            .sorted { ($0.startedAt ?? "", $0.executionId) > ($1.startedAt ?? "", $1.executionId) }
        if json {
            let list = summaries.map { summary -> [String: Any] in
                [
                    "executionId": summary.executionId, "namespace": summary.namespace, "flowId": summary.flowId,
                    "state": summary.state, "startedAt": summary.startedAt ?? NSNull(),
                    "endedAt": summary.endedAt ?? NSNull(),
                ]
            }
            let data = try JSONSerialization.data(
                withJSONObject: ["executions": list], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for summary in summaries {
            print(
                "\(summary.executionId)  \(summary.namespace)/\(summary.flowId)  \(summary.state)  \(summary.startedAt ?? "-")"
            )
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
        let store = try openLedgerForReading(ledgerOptions)
        _ = try loadExecution(store, execution)
        try store.readStream(execution) { event in
            guard event.type == "LogLinesReceived",
                case .logLinesReceived(let lines)? = try ExecutionEvent.decode(event)
            else { return }
            let taskId = lines.taskRunId.split(separator: "[").first.map(String.init) ?? lines.taskRunId
            if let task, task != taskId && task != lines.taskRunId { return }
            for line in lines.lines {
                print("\(line.time) \(lines.taskRunId) \(line.severity) \(line.text)")
            }
        }
    }
}
