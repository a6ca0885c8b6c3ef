import ArgumentParser
import Engine
import Foundation
import Ledger

/// `batchledger events EXECUTION`: the trail of one execution, one line per event.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the events of one execution, one line each: seq, time, type, task run and a summary.",
        usage: "batchledger events <execution> [<options>]",
        discussion: """
            With --json, one JSON object per line (NDJSON): seq, execution, version, type, schema_version, \
            recorded_at, task_run, summary and the payload itself. Exit status 2 when the execution is not in the \
            ledger.
            """)

    @Argument(help: "The execution id.")
    var execution: String

    @Option(name: .long, help: "Only events of this type (repeat for several), e.g. --type JobCreated.")
    var type: [String] = []

    @Flag(help: "Print one JSON object per event per line.")
    var json = false

    @OptionGroup var ledgerOptions: LedgerOptions

    func run() throws {
        let store = try ExitCodes.run("events") { try ledgerOptions.openReadOnly() }
        // Existence only: the trail must print even when the execution's fold fails (that is when it is needed).
        if try store.currentVersion(of: execution) == 0 {
            try ExitCodes.run("events") { throw EngineFailure.noSuchExecution(id: execution, ledger: store.name) }
        }
        let printer = EventPrinter(json: json, showExecution: false)
        try store.audit(AuditFilter(events: EventFilter(types: type, streams: [execution]))) { event in
            printer.print(event)
        }
        printer.finish()
        if printer.count == 0 && !json {
            printError("batchledger events: no event of \(Excerpt.of(execution)) matches")
        }
    }
}

/// Prints events as `events` and `audit` do: aligned text lines, or NDJSON.
final class EventPrinter {
    let json: Bool
    let showExecution: Bool
    private var out: [UInt8] = []
    private(set) var count = 0

    init(json: Bool, showExecution: Bool) {
        self.json = json
        self.showExecution = showExecution
    }

    func print(_ event: RecordedEvent) {
        count += 1
        if json {
            out += EventJSON.object(event)
            out.append(UInt8(ascii: "\n"))
        } else {
            var text = "\(event.seq)  \(event.recordedAt)  "
            if showExecution { text += "\(event.stream)  " }
            text += event.type.padding(toLength: max(event.type.count, 20), withPad: " ", startingAt: 0)
            text += "  " + EventDescription(event).summary
            // Everything but the seq comes from the ledger, which an import may have filled.
            text = TerminalText.escaped(text) + "\n"
            out += Array(text.utf8)
        }
        if out.count > 1 << 16 { flush() }
    }

    func flush() {
        FileHandle.standardOutput.write(Data(out))
        out.removeAll(keepingCapacity: true)
    }

    func finish() {
        flush()
    }
}
