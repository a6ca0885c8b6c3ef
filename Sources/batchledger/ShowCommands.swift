import ArgumentParser
import Engine
import Foundation
import Ledger

/// The state of an execution (through `seq` when given); a missing one is told, naming the id, and exits 2.
func loadExecution(_ engine: Engine, _ id: String, through seq: Int64? = nil, command: String) throws
    -> ExecutionState
{
    try ExitCodes.run(command) { try engine.state(of: id, through: seq) }
}

/// `batchledger show EXECUTION`.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show an execution: its state and each task run's outputs.")

    @Argument(help: "The execution id.")
    var execution: String

    @OptionGroup var ledgerOptions: LedgerOptions

    @Option(help: ArgumentHelp("Show the state as it was right after this event (its global seq).", valueName: "seq"))
    var at: Int64?

    @Flag(help: "Print the JSON document that run --json prints (plus importedFrom for an imported execution).")
    var json = false

    func validate() throws {
        if let at, at < 1 { throw ValidationError("--at \(at): give the seq of an event, 1 or more") }
    }

    func run() throws {
        let engine = ledgerOptions.engine()
        let store = try ExitCodes.run("show") { try engine.store(.readOnly) }
        let state = try loadExecution(engine, execution, through: at, command: "show")
        let report = ExecutionReport(state)
        let origin = try store.importOrigin(of: execution)
        if json {
            print(try ShownExecution(report: report, importedFrom: origin).json())
            return
        }
        print(
            TerminalText.escaped(
                "execution \(report.executionId) · flow \(report.namespace)/\(report.flowId) · \(report.state)"))
        if !report.labels.isEmpty {
            print(
                TerminalText.escaped(
                    "labels "
                        + report.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                        .joined(separator: " ")))
        }
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
            if let reason = task.failureReason, task.state != .succeeded {
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

    @Option(
        name: .customLong("label"),
        help: ArgumentHelp("Only executions with this label, KEY=VALUE (repeatable).", valueName: "label"))
    var labels: [String] = []

    func validate() throws {
        _ = try Self.labelFilter(labels)
    }

    /// `--label KEY=VALUE` options as the labels an execution must have.
    static func labelFilter(_ options: [String]) throws -> [String: String] {
        var wanted: [String: String] = [:]
        for option in options {
            guard let equals = option.firstIndex(of: "="), equals != option.startIndex else {
                throw ValidationError("--label \(TerminalText.escaped(option)): write KEY=VALUE")
            }
            wanted[String(option[..<equals])] = String(option[option.index(after: equals)...])
        }
        return wanted
    }

    func run() throws {
        let store = try ExitCodes.run("executions") { try ledgerOptions.openReadOnly() }
        let wanted = try Self.labelFilter(labels)
        let summaries = try store.cachedStates(ExecutionSummaryProjection.self).values
            .filter { ExecutionLabels.matches($0.labels, wanted) }
            .sorted { ($0.startedAt ?? "", $0.executionId) > ($1.startedAt ?? "", $1.executionId) }
        let origins = try store.importOrigins()
        if json {
            let list = try summaries.map { summary -> [String: Any] in
                [
                    "executionId": summary.executionId, "namespace": summary.namespace, "flowId": summary.flowId,
                    "state": summary.state.rawValue, "startedAt": summary.startedAt ?? NSNull(),
                    "endedAt": summary.endedAt ?? NSNull(),
                    "labels": summary.labels ?? [:],
                    "outputs": try JSONSerialization.jsonObject(
                        with: try JSONEncoder().encode(summary.outputs ?? [:]), options: .fragmentsAllowed),
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
            if let labels = summary.labels, !labels.isEmpty {
                line += "  " + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            }
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
        let engine = ledgerOptions.engine()
        let store = try ExitCodes.run("logs") { try engine.store(.readOnly) }
        _ = try loadExecution(engine, execution, command: "logs")
        try store.readStream(execution) { event in
            guard event.type == EventRegistry.name(of: LogLinesReceived.self),
                case .logLinesReceived(let lines) = try ExecutionEvent.decode(event)
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
