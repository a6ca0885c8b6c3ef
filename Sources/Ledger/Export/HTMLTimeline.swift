import Foundation
import Primitives

/// What the HTML page of one execution shows; the caller builds it from its fold of the events, so the page
/// itself knows nothing of event types.
public struct TimelinePage: Sendable, Equatable {
    /// A dated step inside an attempt (upload, job created, running, collect …).
    public struct Step: Sendable, Equatable {
        public var at: String
        public var name: String
        public var detail: String

        public init(at: String, name: String, detail: String) {
            self.at = at
            self.name = name
            self.detail = detail
        }
    }

    public struct Attempt: Sendable, Equatable {
        public var number: Int
        public var outcome: String
        public var startedAt: String
        public var endedAt: String?
        public var steps: [Step]

        public init(number: Int, outcome: String, startedAt: String, endedAt: String?, steps: [Step]) {
            self.number = number
            self.outcome = outcome
            self.startedAt = startedAt
            self.endedAt = endedAt
            self.steps = steps
        }
    }

    /// One task run: one bar of the timeline.
    public struct TaskRun: Sendable, Equatable {
        public var id: String
        public var state: String
        public var startedAt: String?
        public var endedAt: String?
        public var attempts: [Attempt]
        /// Output variables (name, JSON text) and files (name, path).
        public var vars: [(String, String)]
        public var files: [(String, String)]
        public var failureReason: String?
        /// A short note shown beside the id (a ForEach value, "adopted from …").
        public var note: String?

        public init(
            id: String, state: String, startedAt: String?, endedAt: String?, attempts: [Attempt],
            vars: [(String, String)], files: [(String, String)], failureReason: String?, note: String? = nil
        ) {
            self.note = note
            self.id = id
            self.state = state
            self.startedAt = startedAt
            self.endedAt = endedAt
            self.attempts = attempts
            self.vars = vars
            self.files = files
            self.failureReason = failureReason
        }

        public static func == (lhs: TaskRun, rhs: TaskRun) -> Bool {
            lhs.id == rhs.id && lhs.state == rhs.state && lhs.startedAt == rhs.startedAt
                && lhs.endedAt == rhs.endedAt && lhs.attempts == rhs.attempts
                && lhs.vars.map { [$0.0, $0.1] } == rhs.vars.map { [$0.0, $0.1] }
                && lhs.files.map { [$0.0, $0.1] } == rhs.files.map { [$0.0, $0.1] }
                && lhs.failureReason == rhs.failureReason && lhs.note == rhs.note
        }
    }

    public struct LogLine: Sendable, Equatable {
        public var time: String
        public var taskRun: String
        public var severity: String
        public var text: String

        public init(time: String, taskRun: String, severity: String, text: String) {
            self.time = time
            self.taskRun = taskRun
            self.severity = severity
            self.text = text
        }
    }

    public var executionId: String
    public var flow: String
    public var state: String
    public var startedAt: String?
    public var endedAt: String?
    /// The last event folded (seq) and when the page was made.
    public var throughSeq: Int64
    public var generatedAt: String
    public var taskRuns: [TaskRun]
    public var logs: [LogLine]

    public init(
        executionId: String, flow: String, state: String, startedAt: String?, endedAt: String?, throughSeq: Int64,
        generatedAt: String, taskRuns: [TaskRun], logs: [LogLine]
    ) {
        self.executionId = executionId
        self.flow = flow
        self.state = state
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.throughSeq = throughSeq
        self.generatedAt = generatedAt
        self.taskRuns = taskRuns
        self.logs = logs
    }
}

/// Renders a `TimelinePage` as one self-contained HTML file: inline CSS, no script, no external resource, so
/// it opens from disk in any browser. Every piece of text is HTML-escaped.
public enum HTMLTimeline {
    /// Escapes text for an HTML element or a quoted attribute.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Seconds since 1970 of an RFC 3339 time, or nil.
    static func seconds(_ text: String?) -> Double? {
        text.flatMap(Timestamp.parse).map(\.timeIntervalSince1970)
    }

    static func duration(_ from: String?, _ to: String?) -> String {
        guard let start = seconds(from), let end = seconds(to) else { return "–" }
        return length(max(0, end - start))
    }

    /// A length of time, to a precision that suits it (ms under a second).
    static func length(_ elapsed: Double) -> String {
        if elapsed < 1 { return String(format: "%.0f ms", elapsed * 1000) }
        if elapsed < 60 { return String(format: "%.1f s", elapsed) }
        return String(format: "%d min %02d s", Int(elapsed) / 60, Int(elapsed) % 60)
    }

    static let style = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2330;background:#fff}
        h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
        .meta{color:#5b6475}.state{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px}
        .SUCCEEDED{background:#2e8540}.WARNING{background:#c77c02}.FAILED{background:#c62828}
        .CANCELLED{background:#6d6d6d}.RUNNING{background:#1565c0}.CREATED{background:#8a94a6}
        .gantt{border:1px solid #d8dde6;border-radius:6px;padding:8px 12px}
        .row{display:flex;align-items:center;height:30px}
        .label{width:220px;flex:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-family:monospace}
        .track{position:relative;flex:1;height:20px;background:#f3f5f9;border-radius:4px}
        .bar{position:absolute;top:2px;height:16px;min-width:3px;border-radius:3px;color:#fff;font-size:11px;
        line-height:16px;padding:0 4px;box-sizing:border-box;overflow:hidden;white-space:nowrap}
        .bar[data-state=SUCCEEDED]{background:#2e8540}.bar[data-state=WARNING]{background:#c77c02}
        .bar[data-state=FAILED]{background:#c62828}.bar[data-state=CANCELLED]{background:#6d6d6d}
        .bar[data-state=RUNNING]{background:#1565c0}
        .tick{position:absolute;top:0;bottom:0;border-left:1px dashed #b9c0cc}
        .axis{display:flex;justify-content:space-between;margin-left:220px;color:#5b6475;font-size:11px}
        table{border-collapse:collapse;margin:6px 0 12px}td,th{border:1px solid #d8dde6;padding:3px 8px;
        text-align:left;vertical-align:top}th{background:#f3f5f9}
        .task{border:1px solid #d8dde6;border-radius:6px;padding:8px 12px;margin:10px 0}
        pre.logs{background:#10141c;color:#d6dde8;padding:10px;border-radius:6px;overflow:auto;font-size:12px}
        .stderr{color:#ff8a80}code{font-size:12px}
        """

    /// The page.
    public static func render(_ page: TimelinePage) -> String {
        let starts = page.taskRuns.compactMap { seconds($0.startedAt) } + [seconds(page.startedAt)].compactMap { $0 }
        let ends =
            page.taskRuns.compactMap { seconds($0.endedAt ?? $0.startedAt) }
            + [seconds(page.endedAt)].compactMap { $0 }
        let origin = starts.min() ?? 0
        let span = max((ends.max() ?? origin) - origin, 0.001)
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape("Execution \(page.executionId) · \(page.flow)"))</title>
            <style>\(style)</style></head>
            <body data-execution="\(escape(page.executionId))" data-state="\(escape(page.state))">

            """
        html +=
            "<h1>\(escape(page.flow)) <span class=\"state \(escape(page.state))\">\(escape(page.state))</span></h1>\n"
        html += "<div class=\"meta\">execution <code>\(escape(page.executionId))</code> · started "
        html += "\(escape(page.startedAt ?? "–")) · ended \(escape(page.endedAt ?? "–")) · "
        html += "\(escape(duration(page.startedAt, page.endedAt))) · \(page.taskRuns.count) task runs · "
        html += "from the ledger through seq \(page.throughSeq), generated \(escape(page.generatedAt))</div>\n"

        html += "<h2>Timeline</h2>\n<div class=\"gantt\" id=\"timeline\">\n"
        for run in page.taskRuns {
            let start = seconds(run.startedAt) ?? origin
            let end = seconds(run.endedAt) ?? (seconds(page.endedAt) ?? start)
            let left = (start - origin) / span * 100
            let width = max(end - start, 0) / span * 100
            let label = run.id + (run.note.map { " · \($0)" } ?? "")
            html += "<div class=\"row\"><div class=\"label\" title=\"\(escape(label))\">\(escape(label))</div>"
            html += "<div class=\"track\">"
            html += "<div class=\"bar\" data-taskrun=\"\(escape(run.id))\" data-state=\"\(escape(run.state))\" "
            html += "style=\"left:\(String(format: "%.3f", left))%;width:\(String(format: "%.3f", width))%\" "
            html += "title=\"\(escape("\(run.id): \(run.state), \(duration(run.startedAt, run.endedAt))"))\">"
            html += "\(escape(duration(run.startedAt, run.endedAt)))</div></div></div>\n"
        }
        html += "</div>\n<div class=\"axis\"><span>0 s</span><span>\(length(span / 2))</span>"
        html += "<span>\(length(span))</span></div>\n"

        html += "<h2>Task runs</h2>\n"
        for run in page.taskRuns {
            html += "<div class=\"task\" data-taskrun=\"\(escape(run.id))\">\n"
            html += "<b><code>\(escape(run.id))</code></b> "
            if let note = run.note { html += "<span class=\"meta\">\(escape(note))</span> " }
            html += "<span class=\"state \(escape(run.state))\">"
            html += "\(escape(run.state))</span> <span class=\"meta\">\(escape(run.startedAt ?? "–")) → "
            html += "\(escape(run.endedAt ?? "–")) (\(escape(duration(run.startedAt, run.endedAt))))</span>\n"
            if let reason = run.failureReason, run.state != "SUCCEEDED" {
                html += "<div class=\"reason\">reason: \(escape(reason))</div>\n"
            }
            for attempt in run.attempts {
                html += "<table class=\"attempt\"><tr><th colspan=\"3\">attempt \(attempt.number): "
                html += "\(escape(attempt.outcome))</th></tr>\n"
                for step in attempt.steps {
                    let offset = (seconds(step.at) ?? origin) - origin
                    html += "<tr class=\"step\"><td>+\(String(format: "%.3f", offset)) s</td>"
                    html += "<td>\(escape(step.name))</td><td>\(escape(step.detail))</td></tr>\n"
                }
                html += "</table>\n"
            }
            if !run.vars.isEmpty || !run.files.isEmpty {
                html += "<table class=\"outputs\"><tr><th>output</th><th>value</th></tr>\n"
                for (name, value) in run.vars {
                    html += "<tr><td>vars.\(escape(name))</td><td><code>\(escape(value))</code></td></tr>\n"
                }
                for (name, path) in run.files {
                    html += "<tr><td>file \(escape(name))</td><td><code>\(escape(path))</code></td></tr>\n"
                }
                html += "</table>\n"
            }
            html += "</div>\n"
        }

        html += "<h2>Logs</h2>\n<pre class=\"logs\">"
        if page.logs.isEmpty { html += "(no log lines stored)" }
        for line in page.logs {
            let text = "\(line.time) \(line.taskRun) \(line.severity) \(line.text)"
            if line.severity == "ERROR" {
                html += "<span class=\"stderr\">\(escape(text))</span>\n"
            } else {
                html += escape(text) + "\n"
            }
        }
        html += "</pre>\n</body></html>\n"
        return html
    }
}
