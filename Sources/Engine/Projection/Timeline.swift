import Foundation
import Ledger

/// The timeline a person reads when debugging: each event with a one-line summary and the state change it made.
public enum Timeline {
    public struct Step: Sendable {
        public var seq: Int64
        public var time: String
        public var type: String
        public var summary: String
        public var changes: [String]
    }

    /// Folds the execution event by event, describing each one and what it changed.
    ///
    /// Linear in the number of events: an event changes at most one task run (`taskRunId(of:)`), so only that
    /// run is compared before and after, never the whole state.
    public static func steps(of executionId: String, in store: EventStore) throws -> [Step] {
        var state = ExecutionState()
        var steps: [Step] = []
        // Runs that `changes(from:to:)` would describe even when the event left them alone (a history with two
        // attempts of the same number), by position; empty for any history the engine writes.
        var restless: [Int: [String]] = [:]
        try store.readStream(executionId) { recorded in
            let event = try ExecutionEvent.decode(recorded)
            let touchedId = taskRunId(of: event)
            let beforeState = state.state
            let beforeRun = touchedId.flatMap(state.taskRun)
            state.apply(recorded, decoded: event)
            var changes: [String] = []
            if beforeState != state.state { changes.append("execution \(beforeState) → \(state.state)") }
            let touched = touchedId.flatMap(state.taskRunPosition)
            var positions = restless.keys.sorted()
            if let touched, restless[touched] == nil {
                positions.insert(touched, at: positions.firstIndex { $0 > touched } ?? positions.endIndex)
            }
            for position in positions {
                let run = state.taskRuns[position]
                if position == touched {
                    changes += runChanges(from: beforeRun, to: run)
                    let idle = runChanges(from: run, to: run)
                    restless[position] = idle.isEmpty ? nil : idle
                } else {
                    changes += restless[position] ?? []
                }
            }
            steps.append(
                Step(
                    seq: recorded.seq, time: recorded.recordedAt, type: recorded.type,
                    summary: summary(event),
                    changes: changes))
        }
        return steps
    }

    /// The one task run an event can change in the fold (`ExecutionState.apply`), if any.
    static func taskRunId(of event: ExecutionEvent) -> String? {
        switch event {
        case .attemptStarted(let e): return e.taskRunId
        case .taskRendered(let e): return e.taskRunId
        case .uploadRequested(let e): return e.taskRunId
        case .fileUploaded(let e): return e.taskRunId
        case .jobCreateRequested(let e): return e.taskRunId
        case .jobCreated(let e): return e.taskRunId
        case .jobPolled(let e): return e.taskRunId
        case .logLinesReceived(let e): return e.taskRunId
        case .outputsParsed(let e): return e.taskRunId
        case .exitCodeObserved(let e): return e.taskRunId
        case .outputFileDownloaded(let e): return e.taskRunId
        case .outputFileKept(let e): return e.taskRunId
        case .jobDeleteRequested(let e): return e.taskRunId
        case .jobDeleted(let e): return e.taskRunId
        case .stagingCleaned(let e): return e.taskRunId
        case .apiCallRetried(let e): return e.taskRunId
        case .taskSucceeded(let e): return e.taskRunId
        case .taskFailed(let e): return e.taskRunId
        case .taskCancelled(let e): return e.taskRunId
        case .reconciled(let e): return e.taskRunId
        case .taskAdopted(let e): return e.taskRunId
        case .outputFileRefused(let e): return e.taskRunId
        case .taskStarted(let e): return e.taskRunId
        case .subflowStarted(let e): return e.taskRunId
        case .executionStarted, .executionFinished, .recoveryFailed, .executionForked, .executionEnding, .killRequested,
            .inputFileUploadRequested, .inputFileUploaded, .concurrencyQueued, .concurrencySlotTaken,
            .concurrencyRefused:
            return nil
        }
    }

    /// A short description of an event.
    public static func summary(_ event: ExecutionEvent) -> String {
        switch event {
        case .executionStarted(let e):
            return "flow \(e.namespace)/\(e.flowId) on \(e.backend.kind)\(e.backend.endpoint.map { " \($0)" } ?? "")"
                + (e.forkedFrom.map { ", forked from \($0)" } ?? "")
                + (e.parentExecutionId.map { ", child of task \(e.parentTaskRunId ?? "?") of parent \($0)" } ?? "")
        case .attemptStarted(let e):
            return
                "\(e.taskRunId) attempt \(e.attempt): job \(e.jobId), working dir /\(e.workingDirId), \(e.provisioningModel)"
                + (e.outputDirId.map { ", output dir /\(e.workingDirId)/\($0)" } ?? "")
                + (e.impersonatedServiceAccount.map { ", as \($0)" } ?? "")
        case .taskRendered(let e):
            return "\(e.taskRunId) rendered: image \(e.containerImage), \(e.inputFiles.count) input file(s)"
                + (e.secretsUsed.isEmpty ? "" : ", secrets \(e.secretsUsed.map(\.name).joined(separator: ", "))")
        case .uploadRequested(let e):
            return "\(e.taskRunId) will upload \(e.objects.map(\.object).joined(separator: ", "))"
        case .fileUploaded(let e): return "\(e.taskRunId) uploaded \(e.object) (\(e.size) B, crc32c \(e.crc32c))"
        case .jobCreateRequested(let e): return "\(e.taskRunId) creating job \(e.jobId) (request \(e.requestId))"
        case .jobCreated(let e):
            return "\(e.taskRunId) job \(e.name)\(e.adopted ? " adopted (it existed)" : " created")"
        case .jobPolled(let e):
            return "\(e.taskRunId) job \(e.state)"
                + (e.newStatusEvents.isEmpty
                    ? "" : ": " + e.newStatusEvents.compactMap(\.description).joined(separator: " | "))
        case .logLinesReceived(let e):
            return "\(e.taskRunId) \(e.lines.count) log line(s)"
                + (e.droppedLines > 0 ? ", \(e.droppedLines) dropped" : "")
        case .outputsParsed(let e):
            return "\(e.taskRunId) outputs \(e.vars.keys.sorted().joined(separator: ", "))"
                + (e.metrics.isEmpty ? "" : ", \(e.metrics.count) metric(s)")
                + (e.warnings.isEmpty ? "" : ", warnings: \(e.warnings.joined(separator: "; "))")
        case .exitCodeObserved(let e):
            return "\(e.taskRunId) exit code \(e.exitCode)" + (e.meaning.map { " (\($0))" } ?? "")
        case .outputFileDownloaded(let e): return "\(e.taskRunId) downloaded \(e.name) → \(e.localPath)"
        case .outputFileKept(let e): return "\(e.taskRunId) kept \(e.name) as gs://\(e.bucket)/\(e.object)"
        case .jobDeleteRequested(let e): return "\(e.taskRunId) deleting job (\(e.reason))"
        case .jobDeleted(let e): return "\(e.taskRunId) job deleted" + (e.alreadyGone ? " (it was already gone)" : "")
        case .stagingCleaned(let e): return "\(e.taskRunId) cleaned \(e.prefix) (\(e.objectsDeleted) object(s))"
        case .apiCallRetried(let e):
            return "\(e.call): \(e.reason), retry in \(String(format: "%.1f", e.delaySeconds)) s"
        case .taskSucceeded(let e): return "\(e.taskRunId) \(e.state)"
        case .taskFailed(let e):
            return "\(e.taskRunId) failed: \(e.reason)"
                + (e.willRetry ? " (will retry)" : e.allowed ? " (allowed)" : "")
        case .taskCancelled(let e): return "\(e.taskRunId) cancelled: \(e.reason)"
        case .executionFinished(let e): return e.state.rawValue
        case .reconciled(let e):
            return
                "\(e.taskRunId) attempt \(e.attempt): recorded \(e.recordedStep); observed \(e.observed); \(e.action)"
        case .recoveryFailed(let e):
            return "recovery failed (\(e.failures)): \(e.reason)" + (e.givenUp ? "; given up" : "")
        case .taskAdopted(let e): return "\(e.taskRunId) \(e.state), taken from \(e.fromExecution)"
        case .executionForked(let e): return "forked as \(e.child) from task \(e.fromTask)"
        case .taskStarted(let e): return "\(e.taskRunId) \(e.type) started" + (e.branch.map { " (\($0))" } ?? "")
        case .executionEnding(let e):
            return "ending \(e.state)"
                + (e.outputs.isEmpty ? "" : ", outputs \(e.outputs.keys.sorted().joined(separator: ", "))")
        case .subflowStarted(let e): return "\(e.taskRunId) runs \(e.namespace)/\(e.flowId) as \(e.childExecutionId)"
        case .concurrencyQueued(let e):
            return "concurrency limit \(e.limit) reached: queued behind \(e.running.joined(separator: ", "))"
        case .concurrencySlotTaken: return "concurrency slot taken"
        case .concurrencyRefused(let e):
            return "concurrency limit \(e.limit) reached: \(e.behavior) (running \(e.running.joined(separator: ", ")))"
        case .inputFileUploadRequested(let e): return "input \(e.input): storing \(e.object) (\(e.size) B)"
        case .inputFileUploaded(let e):
            return "input \(e.input): stored \(e.object)" + (e.adopted ? " (it was there already)" : "")
        case .outputFileRefused(let e):
            return "\(e.taskRunId) refused output object \(OutputPath.quoted(e.object)): \(e.reason)"
        case .killRequested(let e): return "kill requested by \(e.requestedBy)"
        }
    }

    /// What changed between two folds, in words.
    public static func changes(from before: ExecutionState, to after: ExecutionState) -> [String] {
        var changes: [String] = []
        if before.state != after.state { changes.append("execution \(before.state) → \(after.state)") }
        for run in after.taskRuns {
            changes += runChanges(from: before.taskRun(run.taskRunId), to: run)
        }
        return changes
    }

    /// What changed in one task run (`old` is nil when the run is new), in words.
    static func runChanges(from old: TaskRunState?, to run: TaskRunState) -> [String] {
        var changes: [String] = []
        if old == nil { changes.append("task run \(run.taskRunId) appears (\(run.state))") }
        if let old, old.state != run.state { changes.append("\(run.taskRunId) \(old.state) → \(run.state)") }
        if let attempt = run.attempts.last {
            let previous = old?.attempts.first { $0.attempt == attempt.attempt }
            if previous?.jobState != attempt.jobState, let state = attempt.jobState {
                changes.append("\(run.taskRunId) job \(previous?.jobState ?? "-") → \(state)")
            }
            if previous == nil && old != nil {
                changes.append("\(run.taskRunId) attempt \(attempt.attempt) begins")
            }
            if (previous?.logLines ?? 0) != attempt.logLines {
                changes.append("\(run.taskRunId) log lines \(previous?.logLines ?? 0) → \(attempt.logLines)")
            }
        }
        let newVars = Set(run.vars.keys).subtracting(old?.vars.keys ?? [:].keys)
        if !newVars.isEmpty {
            changes.append("\(run.taskRunId) vars + \(newVars.sorted().joined(separator: ", "))")
        }
        let newFiles = Set(run.outputFiles.keys).subtracting(old?.outputFiles.keys ?? [:].keys)
        if !newFiles.isEmpty {
            changes.append("\(run.taskRunId) files + \(newFiles.sorted().joined(separator: ", "))")
        }
        if old?.exitCode != run.exitCode, let code = run.exitCode {
            changes.append("\(run.taskRunId) exit code \(code)")
        }
        return changes
    }
}
