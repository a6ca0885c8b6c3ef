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
            try ExitCodes.run("events") { throw EngineFailure.noSuchExecution(id: execution, ledger: store.path) }
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
        let description = EventDescription(event)
        if json {
            var line = Array("{\"seq\":\(event.seq),\"execution\":".utf8)
            line += jsonString(event.stream)
            line += Array(",\"version\":\(event.version),\"type\":".utf8) + jsonString(event.type)
            line += Array(",\"schema_version\":\(event.schemaVersion),\"recorded_at\":".utf8)
            line += jsonString(event.recordedAt)
            line += Array(",\"task_run\":".utf8) + (description.taskRun.map(jsonString) ?? Array("null".utf8))
            line += Array(",\"summary\":".utf8) + jsonString(description.summary)
            let payloadIsJSON =
                (try? JSONSerialization.jsonObject(with: event.payload, options: [.fragmentsAllowed])) != nil
            line += Array(",\"payload\":".utf8)
            line += payloadIsJSON ? [UInt8](event.payload) : jsonString(event.payload.base64EncodedString())
            line += Array("}\n".utf8)
            out += line
        } else {
            var text = "\(event.seq)  \(event.recordedAt)  "
            if showExecution { text += "\(event.stream)  " }
            text += event.type.padding(toLength: max(event.type.count, 20), withPad: " ", startingAt: 0)
            text += "  " + description.summary
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

    private func jsonString(_ text: String) -> [UInt8] {
        let data =
            (try? JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes]))
        return data.map { [UInt8]($0) } ?? Array("\"\"".utf8)
    }
}

/// A one-line, human summary of an event and its task run, from its decoded payload.
struct EventDescription {
    var taskRun: String?
    var summary: String

    init(_ recorded: RecordedEvent) {
        // The listing shows every row, also those this version cannot read, so that `events` still helps there.
        do {
            (taskRun, summary) = Self.describe(try ExecutionEvent.decode(recorded))
        } catch EngineError.unknownEventType {
            taskRun = nil
            summary = "event type unknown to this version (\(recorded.payload.count) B)"
        } catch EngineError.newerEventSchema(_, _, let version, _) {
            taskRun = nil
            summary = "schema version \(version) newer than this version reads (\(recorded.payload.count) B)"
        } catch {
            taskRun = nil
            summary = "unreadable payload (\(recorded.payload.count) B)"
        }
    }

    static func bytes(_ size: Int64) -> String {
        if size < 10_000 { return "\(size) B" }
        if size < 10_000_000 { return "\(size / 1000) kB" }
        return "\(size / 1_000_000) MB"
    }

    /// The last path component of a Batch job's resource name.
    static func shortJob(_ name: String) -> String {
        name.split(separator: "/").last.map(String.init) ?? name
    }

    static func run(_ id: String, _ attempt: Int) -> String { "\(id) a\(attempt)" }

    static func describe(_ event: ExecutionEvent) -> (String?, String) {
        switch event {
        case .executionStarted(let e):
            return (
                nil,
                "flow \(e.namespace)/\(e.flowId) from \(e.flowPath), \(e.inputs.count) inputs, backend \(e.backend.kind)"
                    + (e.forkedFrom.map { ", forked from \($0)" } ?? "")
            )
        case .attemptStarted(let e):
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) job \(e.jobId) in \(e.region), working dir \(e.workingDirId), "
                    + e.provisioningModel.lowercased()
            )
        case .taskRendered(let e):
            let secrets = e.secretsUsed.map(\.name).sorted()
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) image \(e.containerImage), \(e.inputFiles.count) input files, "
                    + (secrets.isEmpty ? "no secrets" : "secrets \(secrets.joined(separator: ", "))")
            )
        case .uploadRequested(let e):
            let size = e.objects.reduce(Int64(0)) { $0 + $1.size }
            return (e.taskRunId, "\(run(e.taskRunId, e.attempt)) \(e.objects.count) objects, \(bytes(size))")
        case .fileUploaded(let e):
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) \(e.object) \(bytes(e.size)) crc32c \(e.crc32c) generation \(e.generation)"
            )
        case .jobCreateRequested(let e):
            return (e.taskRunId, "\(run(e.taskRunId, e.attempt)) job \(e.jobId) request \(e.requestId)")
        case .jobCreated(let e):
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) job \(shortJob(e.name)) (uid \(e.uid))" + (e.adopted ? " adopted" : "")
            )
        case .jobPolled(let e):
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) \(e.state)"
                    + (e.newStatusEvents.isEmpty ? "" : ", \(e.newStatusEvents.count) new status events")
            )
        case .logLinesReceived(let e):
            let first = e.lines.first.map { ": " + String($0.text.prefix(60)) } ?? ""
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) \(e.lines.count) lines"
                    + (e.droppedLines > 0 ? " (\(e.droppedLines) dropped)" : "") + first
            )
        case .outputsParsed(let e):
            var parts = ["vars " + (e.vars.isEmpty ? "none" : e.vars.keys.sorted().joined(separator: ", "))]
            if !e.metrics.isEmpty { parts.append("\(e.metrics.count) metrics") }
            if !e.warnings.isEmpty { parts.append("\(e.warnings.count) warnings") }
            return (e.taskRunId, "\(run(e.taskRunId, e.attempt)) " + parts.joined(separator: "; "))
        case .exitCodeObserved(let e):
            return (
                e.taskRunId, "\(run(e.taskRunId, e.attempt)) exit \(e.exitCode)" + (e.meaning.map { " (\($0))" } ?? "")
            )
        case .outputFileDownloaded(let e):
            return (e.taskRunId, "\(run(e.taskRunId, e.attempt)) \(e.name) \(bytes(e.size)) → \(e.localPath)")
        case .jobDeleteRequested(let e):
            return (e.taskRunId, "\(run(e.taskRunId, e.attempt)) job \(shortJob(e.name)): \(e.reason)")
        case .jobDeleted(let e):
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) job \(shortJob(e.name))" + (e.alreadyGone ? " (already gone)" : "")
            )
        case .stagingCleaned(let e):
            return (e.taskRunId, "\(run(e.taskRunId, e.attempt)) \(e.prefix) \(e.objectsDeleted) objects deleted")
        case .apiCallRetried(let e):
            return (
                e.taskRunId,
                "\(e.call) failed (attempt \(e.failedAttempt)" + (e.status.map { ", HTTP \($0)" } ?? "")
                    + "): \(e.reason); retry in \(String(format: "%.1f", e.delaySeconds)) s"
            )
        case .taskSucceeded(let e):
            return (e.taskRunId, "\(run(e.taskRunId, e.attempt)) \(e.state)")
        case .taskFailed(let e):
            var text = "\(run(e.taskRunId, e.attempt))" + (e.exitCode.map { " exit \($0)" } ?? "") + ": \(e.reason)"
            if e.willRetry { text += " (will retry)" }
            if e.allowed { text += " (failure allowed)" }
            return (e.taskRunId, text)
        case .taskCancelled(let e):
            return (e.taskRunId, "\(run(e.taskRunId, e.attempt)) \(e.reason)")
        case .executionFinished(let e):
            return (nil, e.state.rawValue)
        case .reconciled(let e):
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) at \(e.recordedStep): observed \(e.observed); \(e.action)"
            )
        case .recoveryFailed(let e):
            return (nil, "failure \(e.failures): \(e.reason)" + (e.givenUp ? " (given up: execution FAILED)" : ""))
        case .taskAdopted(let e):
            return (e.taskRunId, "\(e.taskRunId) \(e.state) adopted from \(e.fromExecution) (seq \(e.parentSeq))")
        case .executionForked(let e):
            return (nil, "forked into \(e.child) from task \(e.fromTask)")
        case .outputFileRefused(let e):
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) refused \(OutputPath.quoted(e.object)): \(e.reason)"
            )
        }
    }
}
