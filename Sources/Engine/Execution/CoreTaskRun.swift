import Flows
import Foundation
import Primitives
import Templates

/// One run of a task that needs no container: Log, Return, OutputValues, Pause, Subflow, and the flowable If, Switch
/// and Sequential. Each records `TaskStarted` (with a flowable's chosen branch), what it produced, and how it ended;
/// a resumed execution finds a run ended in the fold and takes its outcome, or continues it from what it recorded.
struct CoreTaskRun {
    let context: ExecutionContext
    let task: FlowTask
    let scope: ExecutionContext.Scope

    var taskRunId: String { task.id.value + scope.suffix }
    private var recorder: ExecutionRecorder { context.recorder }

    /// True when the flow may go on (success, warning, or an allowed failure).
    func run() async throws -> Bool {
        let existing = await recorder.state.taskRun(taskRunId)
        if let existing, existing.isTerminal { return try Self.outcome(existing) }
        var branch = existing?.branch
        if existing == nil {
            var first: [ExecutionEvent] = []
            do {
                (branch, first) = try await decide()
            } catch let problem as TemplateError {
                try await recorder.record(start(branch: nil))
                return try await fail(problem.masked(by: await recorder.masker).description)
            }
            try await recorder.record([start(branch: branch)] + first)
        }
        do {
            switch try await body(branch: branch) {
            case .succeeded(let state):
                try await recorder.record(
                    .taskSucceeded(TaskSucceeded(taskRunId: taskRunId, attempt: 1, state: state)))
                return true
            case .failed(let reason):
                return try await fail(reason)
            }
        } catch where error is CancellationError || Task.isCancelled {
            if KillNote.isDetaching { throw CancellationError() }
            try await withoutCancellation { [recorder, taskRunId] in
                try await recorder.record(
                    .taskCancelled(TaskCancelled(taskRunId: taskRunId, attempt: 1, reason: KillNote.reason)))
            }
            throw CancellationError()
        } catch let problem as TemplateError {
            return try await fail(problem.masked(by: await recorder.masker).description)
        } catch let problems as FlowProblems {
            return try await fail(problems.description)
        }
    }

    /// How a recorded run ended, as `run()` reports it.
    static func outcome(_ run: TaskRunState) throws -> Bool {
        switch run.state {
        case .succeeded, .warning: return true
        case .cancelled where SiblingRuns.wasStoppedBySibling(run): return false
        case .cancelled, .killed: throw CancellationError()
        default: return run.allowedFailure
        }
    }

    private enum Ending {
        case succeeded(RunState)
        case failed(String)
    }

    private func start(branch: String?) -> ExecutionEvent {
        .taskStarted(
            TaskStarted(
                taskRunId: taskRunId, taskId: task.id.value, value: scope.value.map(ScriptTaskRun.text),
                type: task.type.value, parentTaskRunId: scope.parentRunId, branch: branch))
    }

    private func fail(_ reason: String) async throws -> Bool {
        let allowed = task.common.allowFailure.value
        try await recorder.record(
            .taskFailed(
                TaskFailed(
                    taskRunId: taskRunId, attempt: 1, reason: reason, exitCode: nil, willRetry: false,
                    allowed: allowed)))
        return allowed
    }

    // MARK: - Deciding

    /// A flowable's branch (and Switch's outputs), decided before the run starts.
    private func decide() async throws -> (String?, [ExecutionEvent]) {
        switch task {
        case .ifTask(let ifTask):
            let truth = Self.isTruthy(try await render(ifTask.condition))
            let outputs = OutputsParsed(
                taskRunId: taskRunId, attempt: 1, vars: ["evaluationResult": .bool(truth)], metrics: [], warnings: [])
            return (truth ? "then" : "else", [.outputsParsed(outputs)])
        case .switchTask(let switchTask):
            let value = try await render(switchTask.value)
            let matched = switchTask.cases.first { $0.key.value == value }
            let outputs = OutputsParsed(
                taskRunId: taskRunId, attempt: 1,
                vars: ["value": .string(value), "defaults": .bool(matched == nil)], metrics: [], warnings: [])
            return (matched?.key.value ?? "defaults", [.outputsParsed(outputs)])
        default:
            return (nil, [])
        }
    }

    /// Kestra's truth of a rendered condition: false for `false`, `0`, `-0` and the empty text (a null renders
    /// as nothing), as written (around white space aside); true for anything else.
    static func isTruthy(_ text: String) -> Bool {
        !["", "false", "0", "-0"].contains(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: - Running

    private func body(branch: String?) async throws -> Ending {
        switch task {
        case .log(let log):
            if let run = await recorder.state.taskRun(taskRunId), run.loggedLines > 0 {
                // Logged before a crash: the lines stand, once.
                return .succeeded(.succeeded)
            }
            var lines: [LogLine] = []
            let now = Timestamp.rfc3339(Date())
            for message in log.messages {
                lines.append(
                    LogLine(
                        time: now, severity: log.level.value.rawValue, text: try await render(message), stderr: false))
            }
            try await recorder.record(
                .logLinesReceived(
                    LogLinesReceived(
                        taskRunId: taskRunId, attempt: 1, lines: lines, droppedLines: 0, cursorTime: now,
                        cursorInsertId: "")))
            return .succeeded(.succeeded)
        case .returnValue(let returnTask):
            var value = EventValue.null
            if let format = returnTask.format { value = .string(try await render(format)) }
            try await recordOutputs(["value": value])
            return .succeeded(.succeeded)
        case .outputValues(let outputValues):
            try await recordOutputs(["values": try await renderLeaves(outputValues.values)])
            return .succeeded(.succeeded)
        case .pause(let pause):
            try await wait(pause)
            return .succeeded(.succeeded)
        case .subflow(let subflow):
            let child = try await SubflowRun(context: context, task: subflow, taskRunId: taskRunId, scope: scope).run()
            if child.isSuccessful { return .succeeded(child) }
            let id = await recorder.state.taskRun(taskRunId)?.childExecutionId ?? "?"
            return .failed(
                "the child execution \(id) of \(subflow.namespace.value)/\(subflow.flowId.value) ended \(child)")
        case .ifTask(let ifTask):
            return try await flowable(branch == "then" ? ifTask.then : ifTask.otherwise, ifTask.handlers)
        case .switchTask(let switchTask):
            let tasks = switchTask.cases.first { $0.key.value == branch }?.tasks ?? switchTask.defaults
            if tasks.isEmpty {
                // Kestra: no task found for the value.
                var value = "its value"
                if case .string(let text)? = await recorder.state.taskRun(taskRunId)?.vars["value"] {
                    value = MessageQuote.quoted(text)
                }
                return .failed("no case of \(task.id.value) matches \(value), and it has no defaults")
            }
            return try await flowable(tasks, switchTask.handlers)
        case .sequential(let sequential):
            return try await flowable(sequential.tasks, sequential.handlers)
        case .script, .parallel, .forEach:
            preconditionFailure("\(task.type.value) is not run by CoreTaskRun")
        }
    }

    private func flowable(_ tasks: [FlowTask], _ handlers: TaskHandlers) async throws -> Ending {
        var inner = scope
        inner.parentRunId = taskRunId
        guard try await context.runBlock(tasks, handlers: handlers, inner) else {
            return .failed("a task of \(task.id.value) failed")
        }
        let state = await recorder.state
        let ids = Set(task.childTasks.flatMap(Self.ids))
        let warned = state.taskRuns.contains { run in
            ids.contains(run.taskId) && run.taskRunId.hasPrefix(run.taskId + scope.suffix)
                && (run.state == .warning || run.state == .failed)
        }
        return .succeeded(warned ? .warning : .succeeded)
    }

    private static func ids(_ task: FlowTask) -> [String] { [task.id.value] + task.childTasks.flatMap(ids) }

    /// Waits the pause's delay, less the time since the run started (recorded), on the engine's clock.
    private func wait(_ pause: PauseTask) async throws {
        let delay: ISODuration
        switch pause.delay.value {
        case .value(let value): delay = value
        case .template(let template):
            let text = try await render(Located(template, at: pause.delay.location))
            guard let parsed = ISODuration.parse(text.trimmingCharacters(in: .whitespaces)), parsed.nanoseconds >= 0
            else {
                throw FlowProblems([
                    "\(pause.delay.location): the Pause delay rendered to '\(text)', not an ISO-8601 duration such as PT30S"
                ])
            }
            delay = parsed
        }
        let startedAt = await recorder.state.taskRun(taskRunId)?.startedAt.flatMap(Timestamp.parse)
        let remaining = PauseTiming.remaining(of: delay.duration, startedAt: startedAt, now: Date())
        if remaining > .zero { try await context.configuration.clock.sleep(for: remaining) }
    }

    // MARK: - Rendering

    private func recordOutputs(_ vars: [String: EventValue]) async throws {
        try await recorder.record(
            .outputsParsed(OutputsParsed(taskRunId: taskRunId, attempt: 1, vars: vars, metrics: [], warnings: [])))
    }

    func render(_ template: Located<String>) async throws -> String {
        guard TemplateEngine.needsRendering(template.value) else { return template.value }
        let state = await recorder.state
        let variables = context.variables(
            taskID: task.id.value, type: task.type.value, scope: scope, attempt: 1, state: state)
        let rendered = try TemplateEngine.render(
            template.value, origin: Convert.origin(template, in: context.text),
            context: TemplateContext(variables: variables.variables, secrets: context.configuration.secrets))
        await recorder.addSecrets(rendered.masker)
        return rendered.text
    }

    /// The node with every string rendered (OutputValues: Kestra renders each value to a string).
    private func renderLeaves(_ node: YAMLNode) async throws -> EventValue {
        if let entries = node.entries {
            var object: [(String, EventValue)] = []
            for entry in entries { object.append((entry.key.value, try await renderLeaves(entry.value))) }
            return .object(EventObject(object))
        }
        if let items = node.items {
            var values: [EventValue] = []
            for item in items { values.append(try await renderLeaves(item)) }
            return .array(values)
        }
        if let scalar = node.scalar, case .string = scalar.value {
            return .string(try await render(Located(scalar.text, at: node.location)))
        }
        return Convert.json(Convert.templateValue(node))
    }
}

/// How long a Pause still waits: its delay less the time since its run started, as recorded (a resumed
/// execution waits only what remains); never more than the delay, never less than nothing.
enum PauseTiming {
    static func remaining(of delay: Duration, startedAt: Date?, now: Date) -> Duration {
        guard let startedAt else { return delay }
        let elapsed = Duration.nanoseconds(Int64(max(0, now.timeIntervalSince(startedAt)) * 1e9))
        if elapsed >= delay { return .zero }
        return delay - elapsed
    }
}
