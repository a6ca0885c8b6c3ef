import Foundation
import Ledger

/// Builds the HTML page of one execution from its fold and its events.
public enum TimelinePageBuilder {
    /// The page of execution `id`: `batchledger export --format html`'s bytes for it. Reads the stream once.
    public static func page(_ store: EventStore, _ id: String) throws -> String {
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
                        number: attempt.attempt, outcome: attempt.outcome?.rawValue ?? "running",
                        startedAt: attempt.startedAt,
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
