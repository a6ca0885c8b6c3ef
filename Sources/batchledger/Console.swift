import Engine
import Foundation

/// Text from outside (a job's log lines, ids from a flow or an imported ledger, Google's messages) made safe to
/// print: no byte of it can move the cursor, rewrite a line, set the window title or start a new line.
enum TerminalText {
    /// `text` with every C0 and C1 control character and DEL shown escaped (`\u{1b}`, `\r`, `\n`), a tab as a
    /// space; everything else as it is.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else {
                out.append(scalar)
                continue
            }
            let shown: String
            switch scalar {
            case "\t": shown = " "
            case "\n": shown = "\\n"
            case "\r": shown = "\\r"
            default: shown = "\\u{\(String(scalar.value, radix: 16))}"
            }
            out.append(contentsOf: shown.unicodeScalars)
        }
        return String(out)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

/// A line built by the CLI itself, whose interpolated values are escaped (`TerminalText`) unless they are lines
/// too (a painted state): `"\(taskRunId) \(console.paint(state))"`.
struct TerminalLine: ExpressibleByStringInterpolation {
    fileprivate(set) var text: String

    init(stringLiteral value: String) {
        text = TerminalText.escaped(value)
    }

    init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
    }

    /// A line whose text is trusted as it is (escape sequences the console writes itself).
    fileprivate init(trusted text: String) {
        self.text = text
    }

    struct StringInterpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity)
        }

        mutating func appendLiteral(_ literal: String) {
            text += TerminalText.escaped(literal)
        }

        mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            text += TerminalText.escaped(value.description)
        }

        mutating func appendInterpolation(_ line: TerminalLine) {
            text += line.text
        }
    }
}

/// Where the CLI writes: progress to standard output (standard error under `--json`, whose standard output
/// holds only the final document), problems to standard error. Colour only on a terminal, never with NO_COLOR.
/// Every line is escaped for the terminal (`TerminalText`): only the console's own colour and redraw sequences
/// reach it as they are.
final class Console: @unchecked Sendable {
    let json: Bool
    let color: Bool
    /// Whether progress goes to a terminal (then a live status line is kept at the bottom).
    let terminal: Bool
    private let lock = NSLock()
    private var liveLine = ""

    init(json: Bool) {
        self.json = json
        terminal =
            isatty(json ? STDERR_FILENO : STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        color = terminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    private var progress: FileHandle { json ? FileHandle.standardError : FileHandle.standardOutput }

    /// A progress line; any control character in it is shown escaped.
    func status(_ line: String) {
        write(TerminalText.escaped(line), to: progress)
    }

    /// A progress line built with `TerminalLine` (painted states pass, interpolated values are escaped).
    func status(line: TerminalLine) {
        write(line.text, to: progress)
    }

    /// Replaces the live status line (terminals only): one line at the bottom, redrawn under new output.
    func live(_ line: String) {
        guard terminal else { return }
        let safe = TerminalText.escaped(line)
        lock.withLock {
            liveLine = safe
            progress.write(Data(("\r\u{1B}[2K" + safe).utf8))
        }
    }

    func note(_ line: String) {
        write("note: " + TerminalText.escaped(line), to: FileHandle.standardError)
    }

    func error(_ line: String) {
        write(TerminalText.escaped(line), to: FileHandle.standardError)
    }

    private func write(_ line: String, to handle: FileHandle) {
        lock.withLock {
            if terminal && !liveLine.isEmpty {
                // Clear the live line, print, then draw it again below.
                progress.write(Data("\r\u{1B}[2K".utf8))
                handle.write(Data((line + "\n").utf8))
                progress.write(Data(liveLine.utf8))
            } else {
                handle.write(Data((line + "\n").utf8))
            }
        }
    }

    /// An execution or task-run state, coloured on a terminal.
    func paint(_ state: RunState) -> TerminalLine { paint(state.rawValue) }

    /// A state word, coloured on a terminal (the word itself escaped: a state may come from Batch).
    func paint(_ state: String) -> TerminalLine {
        let word = TerminalText.escaped(state)
        guard color else { return TerminalLine(trusted: word) }
        let code: String
        switch state {
        case RunState.succeeded.rawValue: code = "32"
        case RunState.warning.rawValue: code = "33"
        case RunState.failed.rawValue, RunState.cancelled.rawValue: code = "31"
        default: code = "36"
        }
        return TerminalLine(trusted: "\u{1B}[\(code)m\(word)\u{1B}[0m")
    }
}

/// Turns recorded events into the lines a person follows during a run.
final class RunDisplay: @unchecked Sendable {
    let console: Console
    private let lock = NSLock()
    private var lastState: [String: String] = [:]
    private var started: [String: Date] = [:]
    /// Task runs in progress: state, attempt, since when.
    private var running: [String: (state: String, attempt: Int, since: Date)] = [:]
    private var ticker: Task<Void, Never>?

    init(console: Console) {
        self.console = console
        if console.terminal {
            ticker = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    self?.redrawLive()
                }
            }
        }
    }

    deinit {
        ticker?.cancel()
    }

    /// The live line: each running task run with its state, elapsed time and attempt.
    private func redrawLive() {
        let line: String = lock.withLock {
            running.sorted { $0.key < $1.key }.map { id, run in
                "\(id) \(run.state) \(String(format: "%.1f", Date().timeIntervalSince(run.since))) s (attempt \(run.attempt))"
            }.joined(separator: " · ")
        }
        console.live(line)
    }

    func show(_ event: ExecutionEvent, _ state: ExecutionState) {
        lock.withLock {
            track(event)
            render(event, state)
        }
        if console.terminal { redrawLive() }
    }

    private func track(_ event: ExecutionEvent) {
        switch event {
        case .attemptStarted(let attempt):
            running[attempt.taskRunId] = ("STARTING", attempt.attempt, running[attempt.taskRunId]?.since ?? Date())
        case .jobPolled(let poll):
            if let run = running[poll.taskRunId] { running[poll.taskRunId] = (poll.state, run.attempt, run.since) }
        case .taskSucceeded(let done): running[done.taskRunId] = nil
        case .taskFailed(let failed) where !failed.willRetry: running[failed.taskRunId] = nil
        case .taskCancelled(let cancelled): running[cancelled.taskRunId] = nil
        case .executionFinished: running = [:]
        default: break
        }
    }

    private func render(_ event: ExecutionEvent, _ state: ExecutionState) {
        switch event {
        case .taskStarted(let task):
            started[task.taskRunId] = started[task.taskRunId] ?? Date()
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
                console.status(
                    line: "\(poll.taskRunId)  \(previous.map { "\($0) → " } ?? "")\(console.paint(poll.state))")
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
        case .outputFileRefused(let refused):
            console.note(
                "\(refused.taskRunId): output object \(OutputPath.quoted(refused.object)) not downloaded: "
                    + refused.reason)
        case .taskSucceeded(let success):
            let run = state.taskRun(success.taskRunId)
            let seconds = started[success.taskRunId].map { Date().timeIntervalSince($0) } ?? 0
            var details = ""
            if let vars = run?.vars, !vars.isEmpty {
                details += " · outputs: " + vars.keys.sorted().joined(separator: ", ")
            }
            if let files = run?.outputFiles, !files.isEmpty {
                details += " · files: " + files.keys.sorted().joined(separator: ", ")
            }
            console.status(
                line:
                    "\(success.taskRunId)  \(console.paint(success.state)) in \(String(format: "%.1f", seconds)) s\(details)"
            )
        case .taskFailed(let failure):
            let outcome = failure.willRetry ? " · retrying" : failure.allowed ? " · allowed (allowFailure)" : ""
            console.status(
                line:
                    "\(failure.taskRunId)  \(console.paint(RunState.failed)) (attempt \(failure.attempt)): \(failure.reason)\(outcome)"
            )
        case .taskCancelled(let cancelled):
            console.status(line: "\(cancelled.taskRunId)  \(console.paint(RunState.cancelled)): \(cancelled.reason)")
        case .apiCallRetried(let retry):
            console.note(
                "\(retry.call): \(retry.reason); retry \(retry.failedAttempt) in \(String(format: "%.1f", retry.delaySeconds)) s"
            )
        default:
            break
        }
    }
}
