import ArgumentParser
import Engine
import Foundation
import Ledger

/// `batchledger import FILE`: load an NDJSON export into this ledger.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load an NDJSON export into the ledger, keeping the original hashes as provenance.",
        discussion: """
            The export is verified first; a tampered or cut file, a line over 64 MiB, and an execution id other \
            than 1 to 64 characters of 0-9, A-Z, a-z, _ and - are refused and nothing is written. Each execution \
            keeps its events, times and stream hashes; the ledger chains the rows anew in its global chain and \
            records each source seq and hash in its imports table. An execution already in the ledger is refused \
            (an interrupted import of the same export is completed instead). Exit status 0 on success, 1 when the \
            export is refused, 3 when a file cannot be read or written.
            """)

    @Argument(help: "The NDJSON export file.")
    var file: String

    @OptionGroup var ledgerOptions: LedgerOptions

    func run() throws {
        try ExitCodes.run("import") {
            let store = try ledgerOptions.engine().store(.create)
            let report = try store.importExport(at: file)
            var message =
                "imported \(report.eventsImported) events of \(report.executions.count) executions into \(store.name)"
            if let first = report.firstSeq, let last = report.lastSeq { message += " (seq \(first)…\(last))" }
            if report.eventsAlreadyPresent > 0 {
                message += "; \(report.eventsAlreadyPresent) were already there from an interrupted import"
            }
            print(message)
        }
    }
}
