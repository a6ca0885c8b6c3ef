import Engine
import Foundation

/// Where the CLI writes: progress to standard output (standard error under `--json`, whose standard output
/// holds only the final document), problems to standard error. Colour only on a terminal, never with NO_COLOR.
final class Console: @unchecked Sendable {
    let json: Bool
    let color: Bool
    private let lock = NSLock()

    init(json: Bool) {
        self.json = json
        let terminal = isatty(json ? STDERR_FILENO : STDOUT_FILENO) == 1
        color =
            terminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    func status(_ line: String) {
        write(line, to: json ? FileHandle.standardError : FileHandle.standardOutput)
    }

    func note(_ line: String) {
        write("note: " + line, to: FileHandle.standardError)
    }

    func error(_ line: String) {
        write(line, to: FileHandle.standardError)
    }

    private func write(_ line: String, to handle: FileHandle) {
        lock.withLock { handle.write(Data((line + "\n").utf8)) }
    }

    /// A state word, coloured on a terminal.
    func paint(_ state: String) -> String {
        guard color else { return state }
        let code: String
        switch state {
        case "SUCCEEDED": code = "32"
        case "WARNING": code = "33"
        case "FAILED", "CANCELLED": code = "31"
        default: code = "36"
        }
        return "\u{1B}[\(code)m\(state)\u{1B}[0m"
    }
}

/// Turns recorded events into the lines a person follows during a run.
final class RunDisplay: @unchecked Sendable {
    let console: Console
    private let lock = NSLock()
    private var lastState: [String: String] = [:]
    private var started: [String: Date] = [:]

    init(console: Console) {
        self.console = console
    }

    func show(_ event: ExecutionEvent, _ state: ExecutionState) {
        lock.withLock { render(event, state) }
    }

    private func render(_ event: ExecutionEvent, _ state: ExecutionState) {
        switch event {
        case .attemptStarted(let attempt):
            started[attempt.taskRunId] = started[attempt.taskRunId] ?? Date()
            lastState[attempt.taskRunId] = nil
            let value = attempt.value.map { " (value \($0))" } ?? ""
            console.status(
                "\(attempt.taskRunId)  attempt \(attempt.attempt)\(value) · job \(attempt.jobId)"
                    + (attempt.provisioningModel == "STANDARD" ? "" : " · \(attempt.provisioningModel)"))
        case .uploadRequested(let upload):
            console.status(
                "\(upload.taskRunId)  uploading \(upload.objects.count) file\(upload.objects.count == 1 ? "" : "s")")
        case .jobPolled(let poll):
            let previous = lastState[poll.taskRunId]
            if previous != poll.state {
                lastState[poll.taskRunId] = poll.state
                console.status("\(poll.taskRunId)  \(previous.map { "\($0) → " } ?? "")\(console.paint(poll.state))")
            }
        case .logLinesReceived(let lines):
            for line in lines.lines {
                console.status("\(lines.taskRunId) \(line.stderr ? "!" : "|") \(line.text)")
            }
            if lines.droppedLines > 0 {
                console.note(
                    "\(lines.taskRunId): log cap reached, \(lines.droppedLines) line(s) counted but not stored")
            }
        case .outputsParsed(let outputs):
            for warning in outputs.warnings { console.note("\(outputs.taskRunId): \(warning)") }
        case .taskSucceeded(let success):
            let run = state.taskRun(success.taskRunId)
            let seconds = started[success.taskRunId].map { Date().timeIntervalSince($0) } ?? 0
            var line = "\(success.taskRunId)  \(console.paint(success.state)) in \(String(format: "%.1f", seconds)) s"
            if let vars = run?.vars, !vars.isEmpty {
                line += " · outputs: " + vars.keys.sorted().joined(separator: ", ")
            }
            if let files = run?.outputFiles, !files.isEmpty {
                line += " · files: " + files.keys.sorted().joined(separator: ", ")
            }
            console.status(line)
        case .taskFailed(let failure):
            console.status(
                "\(failure.taskRunId)  \(console.paint("FAILED")) (attempt \(failure.attempt)): \(failure.reason)"
                    + (failure.willRetry ? " · retrying" : failure.allowed ? " · allowed (allowFailure)" : ""))
        case .taskCancelled(let cancelled):
            console.status("\(cancelled.taskRunId)  \(console.paint("CANCELLED")): \(cancelled.reason)")
        case .apiCallRetried(let retry):
            console.note(
                "\(retry.call): \(retry.reason); retry \(retry.failedAttempt) in \(String(format: "%.1f", retry.delaySeconds)) s"
            )
        default:
            break
        }
    }
}
