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
            printError("batchledger export: no execution in \(store.name)")
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
