import Foundation
import Ledger

/// A one-line, human summary of an event and its task run, from its decoded payload.
public struct EventDescription: Sendable, Equatable {
    /// The task run the event belongs to, when it names one.
    public var taskRun: String?
    /// What happened, in one line.
    public var summary: String

    /// The description of a recorded event; an event this version cannot read is described as such, never an
    /// error, so that a listing still shows every row.
    public init(_ recorded: RecordedEvent) {
        // The listing shows every row, also those this version cannot read, so that `events` still helps there.
        if let flow = Self.describeFlowEvent(recorded) {
            (taskRun, summary) = (nil, flow)
            return
        }
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

    /// A flow library event (`FlowSaved`, `FlowDeleted`), described; nil for any other.
    static func describeFlowEvent(_ recorded: RecordedEvent) -> String? {
        let decoder = JSONDecoder()
        switch recorded.type {
        case FlowSaved.type:
            guard let saved = try? decoder.decode(FlowSaved.self, from: recorded.payload) else { return nil }
            return "flow \(saved.namespace).\(saved.flowId) revision \(saved.revision) saved"
                + (saved.requestedBy.map { " by \($0)" } ?? "") + ", \(bytes(Int64(saved.source.utf8.count)))"
        case FlowDeleted.type:
            guard let deleted = try? decoder.decode(FlowDeleted.self, from: recorded.payload) else { return nil }
            return "flow \(deleted.namespace).\(deleted.flowId) deleted at revision \(deleted.revision)"
                + (deleted.requestedBy.map { " by \($0)" } ?? "")
        case TriggerArmed.type:
            guard let armed = try? decoder.decode(TriggerArmed.self, from: recorded.payload) else { return nil }
            return "trigger \(armed.triggerId) of \(armed.namespace).\(armed.flowId) armed at \(armed.at) "
                + "(cron \(armed.cron), \(armed.timezone))"
        case TriggerFired.type:
            guard let fired = try? decoder.decode(TriggerFired.self, from: recorded.payload) else { return nil }
            let why = fired.backfill ? " (backfill)" : fired.recovered ? " (missed, recovered)" : ""
            return "trigger \(fired.triggerId) of \(fired.namespace).\(fired.flowId) fired for \(fired.scheduledFor)"
                + "\(why): execution \(fired.executionId)"
        case SchedulesSkipped.type:
            guard let skipped = try? decoder.decode(SchedulesSkipped.self, from: recorded.payload) else { return nil }
            return "trigger \(skipped.triggerId) of \(skipped.namespace).\(skipped.flowId) skipped \(skipped.count) "
                + "missed time(s) from \(skipped.from) through \(skipped.through) (recoverMissedSchedules "
                + "\(skipped.policy))"
        default:
            return nil
        }
    }

    /// A size as a listing shows it: `512 B`, `42 kB`, `7 MB`.
    public static func bytes(_ size: Int64) -> String {
        if size < 10_000 { return "\(size) B" }
        if size < 10_000_000 { return "\(size / 1000) kB" }
        return "\(size / 1_000_000) MB"
    }

    /// The last path component of a Batch job's resource name.
    public static func shortJob(_ name: String) -> String {
        name.split(separator: "/").last.map(String.init) ?? name
    }

    /// A task run's attempt as the summaries name it: `ID aN`.
    public static func run(_ id: String, _ attempt: Int) -> String { "\(id) a\(attempt)" }

    /// The task run and the summary of a decoded event.
    public static func describe(_ event: ExecutionEvent) -> (String?, String) {
        switch event {
        case .executionStarted(let e):
            return (
                nil,
                "flow \(e.namespace)/\(e.flowId) from \(e.flowPath), \(e.inputs.count) inputs, backend \(e.backend.kind)"
                    + (e.forkedFrom.map { ", forked from \($0)" } ?? "")
                    + (e.parentExecutionId.map { ", child of task \(e.parentTaskRunId ?? "?") of parent \($0)" } ?? "")
            )
        case .attemptStarted(let e):
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) job \(e.jobId) in \(e.region), working dir \(e.workingDirId), "
                    + e.provisioningModel.lowercased() + (e.outputDirId.map { ", output dir \($0)" } ?? "")
                    + (e.impersonatedServiceAccount.map { ", as \($0)" } ?? "")
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
        case .outputFileKept(let e):
            return (e.taskRunId, "\(run(e.taskRunId, e.attempt)) \(e.name) kept as gs://\(e.bucket)/\(e.object)")
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
        case .taskStarted(let e):
            return (e.taskRunId, "\(e.taskRunId) \(e.type)" + (e.branch.map { " → \($0)" } ?? ""))
        case .executionEnding(let e):
            return (
                nil,
                e.state.rawValue
                    + (e.outputs.isEmpty ? "" : ", outputs \(e.outputs.keys.sorted().joined(separator: ", "))")
            )
        case .subflowStarted(let e):
            return (e.taskRunId, "\(e.taskRunId) started \(e.namespace)/\(e.flowId) as \(e.childExecutionId)")
        case .concurrencyQueued(let e):
            return (nil, "limit \(e.limit) reached, waiting for \(e.running.joined(separator: ", "))")
        case .concurrencySlotTaken(let e):
            return (nil, "slot taken" + (e.running.isEmpty ? "" : " beside \(e.running.joined(separator: ", "))"))
        case .concurrencyRefused(let e):
            return (nil, "limit \(e.limit) reached (\(e.running.joined(separator: ", "))): \(e.behavior)")
        case .inputFileUploadRequested(let e):
            return (nil, "input \(e.input): storing gs://\(e.bucket)/\(e.object) (\(e.size) B, crc32c \(e.crc32c))")
        case .inputFileUploaded(let e):
            return (nil, "input \(e.input): stored \(e.object)" + (e.adopted ? " (it was there already)" : ""))
        case .outputFileRefused(let e):
            return (
                e.taskRunId,
                "\(run(e.taskRunId, e.attempt)) refused \(OutputPath.quoted(e.object)): \(e.reason)"
            )
        case .killRequested(let e):
            return (nil, "kill of \(e.executionId) requested by \(e.requestedBy)")
        }
    }
}
