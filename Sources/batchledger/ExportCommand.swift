import ArgumentParser
import Engine
import Foundation
import Ledger

/// `batchledger export`: NDJSON (verifiable offline, importable), CSV, or one HTML page per execution.
struct ExportCommand: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case ndjson, csv, html
    }

    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export executions as NDJSON (verifiable offline, importable), CSV or self-contained HTML pages.",
        usage: "batchledger export [<execution> ...] [<options>]",
        discussion: """
            With no execution named, every execution is exported. NDJSON: a header line (format_version 1), then \
            one envelope per event with every field and both hash chains; batchledger verify --export FILE checks \
            it without the ledger, batchledger import FILE loads it into another ledger. With --since-seq N only \
            later events are written; the header names each execution's chain link before them, so the export \
            still verifies (but only whole executions can be imported). CSV: one row per event. HTML: one page \
            per execution, a timeline of its task runs with their attempts, outputs and logs; with several \
            executions --output names a folder that gets EXECUTION.html for each (an id outside 0-9, A-Z, a-z, _ \
            and - gets execution-DIGEST.html instead). The ledger is opened read-only.
            """)

    @Argument(help: "Execution ids (default: all).")
    var executions: [String] = []

    @Option(name: .long, help: "The format.")
    var format: Format = .ndjson

    @Option(
        name: .customLong("since-seq"),
        help: ArgumentHelp("Only events after this global seq (ndjson, csv).", valueName: "seq"))
    var sinceSeq: Int64 = 0

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Write to this file (a folder for html of several executions) instead of stdout.", valueName: "path"))
    var output: String?

    @OptionGroup var ledgerOptions: LedgerOptions

    func validate() throws {
        if sinceSeq < 0 { throw ValidationError("--since-seq must be 0 or more") }
        if format == .html && sinceSeq > 0 {
            throw ValidationError("--since-seq does not apply to html: a page shows whole executions")
        }
    }

    func run() throws {
        let engine = ledgerOptions.engine()
        let store = try ExitCodes.run("export") { try engine.store(.readOnly) }
        let selection = ExportSelection(executions: executions, sinceSeq: sinceSeq)
        do {
            switch format {
            case .ndjson:
                let out = try output.map(ExportOutput.file) ?? .standardOutput()
                let header = try store.exportNDJSON(selection, to: out)
                if output != nil {
                    printError(
                        "exported \(header.events) events of \(header.executions.count) executions "
                            + "(seq \(header.sinceSeq + 1)…\(header.throughSeq)) to \(out.destination)")
                }
            case .csv:
                let out = try output.map(ExportOutput.file) ?? .standardOutput()
                try store.exportCSV(selection, to: out) { event in
                    let description = EventDescription(event)
                    return (description.taskRun, description.summary)
                }
            case .html:
                try exportHTML(store, engine)
            }
        } catch let error as ExportError {
            throw ExitCodes.exit(for: error, command: "export")
        }
    }

    private func exportHTML(_ store: EventStore, _ engine: Engine) throws {
        let ids =
            executions.isEmpty
            ? try store.cachedStates(ExecutionSummaryProjection.self).values
                .sorted { ($0.startedAt ?? "", $0.executionId) < ($1.startedAt ?? "", $1.executionId) }
                .map(\.executionId)
            : executions
        if ids.isEmpty {
            printError("batchledger export: no execution in \(store.path)")
            throw ExitCode(ExitCodes.invalidInput)
        }
        if ids.count == 1 && !isFolder(output) {
            // One page: its own fold finds any unreadable event, so only a missing execution is checked first
            // (a second fold would read the whole stream twice).
            if try store.currentVersion(of: ids[0]) == 0 { _ = try loadExecution(engine, ids[0], command: "export") }
            let page = try TimelinePageBuilder.page(store, ids[0])
            let out = try output.map(ExportOutput.file) ?? .standardOutput()
            try out.write(page)
            try out.finish()
            return
        }
        for id in ids { _ = try loadExecution(engine, id, command: "export") }
        guard let folder = output else {
            printError(
                "batchledger export: \(ids.count) executions make \(ids.count) pages: give --output FOLDER, "
                    + "or name one execution")
            throw ExitCode(ExitCodes.invalidInput)
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ExportError.cannotWrite(path: folder, detail: error.localizedDescription)
        }
        for id in ids {
            // The name comes from the id, which an import may have brought from anywhere: a safe form of it,
            // checked to stay inside the folder.
            let out = try ExportOutput.file(try ExecutionID.path(for: id, suffix: ".html", in: folder))
            try out.write(try TimelinePageBuilder.page(store, id))
            try out.finish()
        }
        printError("wrote \(ids.count) pages to \(folder)")
    }

    private func isFolder(_ path: String?) -> Bool {
        guard let path else { return false }
        var directory: ObjCBool = false
        return path.hasSuffix("/")
            || (FileManager.default.fileExists(atPath: path, isDirectory: &directory)
                && directory.boolValue)
    }
}

/// Builds the HTML page of one execution from its fold and its events.
enum TimelinePageBuilder {
    static func page(_ store: EventStore, _ id: String) throws -> String {
        var state = ExecutionState()
        var steps: [String: [Int: [TimelinePage.Step]]] = [:]
        var ends: [String: [Int: String]] = [:]
        var lastPolled: [String: String] = [:]
        var logs: [TimelinePage.LogLine] = []
        try store.readStream(id) { recorded in
            let event = try ExecutionEvent.decode(recorded)
            state.apply(recorded, decoded: event)
            let time = recorded.recordedAt
            func add(_ run: String, _ attempt: Int, _ name: String, _ detail: String) {
                steps[run, default: [:]][attempt, default: []].append(
                    TimelinePage.Step(at: time, name: name, detail: detail))
            }
            let summary = EventDescription.describe(event).1
            func detail(_ run: String, _ attempt: Int) -> String {
                let prefix = EventDescription.run(run, attempt) + " "
                return summary.hasPrefix(prefix) ? String(summary.dropFirst(prefix.count)) : summary
            }
            switch event {
            case .attemptStarted(let e): add(e.taskRunId, e.attempt, "attempt started", detail(e.taskRunId, e.attempt))
            case .taskRendered(let e): add(e.taskRunId, e.attempt, "rendered", detail(e.taskRunId, e.attempt))
            case .uploadRequested(let e): add(e.taskRunId, e.attempt, "upload", detail(e.taskRunId, e.attempt))
            case .fileUploaded(let e): add(e.taskRunId, e.attempt, "uploaded", detail(e.taskRunId, e.attempt))
            case .jobCreateRequested(let e):
                add(e.taskRunId, e.attempt, "job create requested", detail(e.taskRunId, e.attempt))
            case .jobCreated(let e): add(e.taskRunId, e.attempt, "job created", detail(e.taskRunId, e.attempt))
            case .jobPolled(let e):
                let key = "\(e.taskRunId)#\(e.attempt)"
                if lastPolled[key] != e.state {
                    lastPolled[key] = e.state
                    add(e.taskRunId, e.attempt, "job \(e.state.lowercased())", detail(e.taskRunId, e.attempt))
                }
            case .logLinesReceived(let e):
                for line in e.lines {
                    logs.append(
                        TimelinePage.LogLine(
                            time: line.time, taskRun: e.taskRunId, severity: line.stderr ? "ERROR" : line.severity,
                            text: line.text))
                }
            case .outputsParsed(let e): add(e.taskRunId, e.attempt, "outputs", detail(e.taskRunId, e.attempt))
            case .exitCodeObserved(let e): add(e.taskRunId, e.attempt, "exit code", detail(e.taskRunId, e.attempt))
            case .outputFileDownloaded(let e):
                add(e.taskRunId, e.attempt, "collected", detail(e.taskRunId, e.attempt))
            case .jobDeleted(let e): add(e.taskRunId, e.attempt, "job deleted", detail(e.taskRunId, e.attempt))
            case .stagingCleaned(let e):
                add(e.taskRunId, e.attempt, "staging cleaned", detail(e.taskRunId, e.attempt))
            case .taskSucceeded(let e):
                add(e.taskRunId, e.attempt, e.state.rawValue.lowercased(), "")
                ends[e.taskRunId, default: [:]][e.attempt] = time
            case .taskFailed(let e):
                add(e.taskRunId, e.attempt, "failed", detail(e.taskRunId, e.attempt))
                ends[e.taskRunId, default: [:]][e.attempt] = time
            case .taskCancelled(let e):
                add(e.taskRunId, e.attempt, "cancelled", detail(e.taskRunId, e.attempt))
                ends[e.taskRunId, default: [:]][e.attempt] = time
            case .reconciled(let e): add(e.taskRunId, e.attempt, "reconciled", detail(e.taskRunId, e.attempt))
            default: break
            }
        }
        let runs = state.taskRuns.map { run in
            TimelinePage.TaskRun(
                id: run.taskRunId, state: run.state.rawValue, startedAt: run.startedAt, endedAt: run.endedAt,
                attempts: run.attempts.map { attempt in
                    TimelinePage.Attempt(
                        number: attempt.attempt, outcome: attempt.outcome?.rawValue ?? "running", startedAt: attempt.startedAt,
                        endedAt: ends[run.taskRunId]?[attempt.attempt],
                        steps: steps[run.taskRunId]?[attempt.attempt] ?? [])
                },
                vars: run.vars.keys.sorted().map { ($0, run.vars[$0]!.compactText) },
                files: run.outputFiles.keys.sorted().map { ($0, run.outputFiles[$0]!) },
                failureReason: run.failureReason,
                note: run.adoptedFrom.map { "adopted from \($0)" } ?? run.value)
        }
        return HTMLTimeline.render(
            TimelinePage(
                executionId: id, flow: "\(state.namespace)/\(state.flowId)", state: state.state.rawValue,
                startedAt: state.startedAt, endedAt: state.endedAt, throughSeq: state.lastSeq,
                generatedAt: Timestamp.rfc3339(Date()), taskRuns: runs, logs: logs))
    }
}
