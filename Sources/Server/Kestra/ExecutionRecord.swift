import Engine
import Ledger

/// One execution's recorded events folded once for Kestra's API: the engine's own `ExecutionState`, the dated
/// state changes of the execution, of each task run and of each attempt (Kestra's `histories`), and the stored log
/// lines. A pure fold, like `ExecutionState`: feed it the stream in order (`apply`), or all at once (`fold`).
public struct ExecutionRecord: Sendable, Equatable {
    /// The engine's fold of the same events.
    public private(set) var state = ExecutionState()
    /// The execution's state changes, oldest first.
    public private(set) var history: [Kestra.StateHistory] = []
    /// Each task run's state changes and its attempts', by task run id.
    public private(set) var taskRunHistories: [String: TaskRunHistory] = [:]
    /// Every stored log line, in the order recorded.
    public private(set) var logLines: [RecordedLogLine] = []

    /// The state changes of one task run and of each of its attempts.
    public struct TaskRunHistory: Sendable, Equatable {
        /// The task run's state changes, oldest first.
        public var states: [Kestra.StateHistory] = []
        /// Attempt number (from 1, as recorded) → that attempt's state changes, oldest first.
        public var attempts: [Int: [Kestra.StateHistory]] = [:]
    }

    /// An empty record, before any event.
    public init() {}

    /// Folds a whole stream (events of one execution, in order).
    public static func fold(_ events: some Sequence<RecordedEvent>) throws -> ExecutionRecord {
        var record = ExecutionRecord()
        for event in events { try record.apply(event) }
        return record
    }

    /// Folds one recorded event; an event this version cannot read is an error, as for `ExecutionState.apply`.
    public mutating func apply(_ recorded: RecordedEvent) throws {
        let event = try ExecutionEvent.decode(recorded)
        state.apply(recorded, decoded: event)
        note(event, at: recorded.recordedAt)
    }

    /// Folds one event recorded at `time` (RFC 3339, the ledger's `recorded_at`).
    public mutating func apply(_ event: ExecutionEvent, at time: String) {
        state.apply(event, at: time)
        note(event, at: time)
    }

    /// Notes the state change or the log lines `event` brings, after `state` has folded it.
    private mutating func note(_ event: ExecutionEvent, at time: String) {
        guard let date = Kestra.date(time) else {
            // The ledger always writes RFC 3339; a state change without a date would not be a Kestra history.
            if case .logLinesReceived(let lines) = event { keep(lines, recordedAt: time) }
            return
        }
        switch event {
        case .executionStarted:
            history.append(.init(state: .created, date: date))
            history.append(.init(state: .running, date: date))
        case .attemptStarted(let started):
            var run = taskRunHistories[started.taskRunId] ?? TaskRunHistory()
            if run.states.isEmpty { run.states.append(.init(state: .created, date: date)) }
            if run.states.last?.state != .running { run.states.append(.init(state: .running, date: date)) }
            run.attempts[started.attempt] = [.init(state: .running, date: date)]
            taskRunHistories[started.taskRunId] = run
        case .taskStarted(let started):
            // A core or flowable task run: no attempt of its own.
            var run = taskRunHistories[started.taskRunId] ?? TaskRunHistory()
            if run.states.isEmpty { run.states.append(.init(state: .created, date: date)) }
            if run.states.last?.state != .running { run.states.append(.init(state: .running, date: date)) }
            taskRunHistories[started.taskRunId] = run
        case .taskSucceeded(let success):
            let state = Kestra.StateType(success.state)
            noteAttempt(success.taskRunId, success.attempt, state, date)
            noteRun(success.taskRunId, state, date)
        case .taskFailed(let failure):
            noteAttempt(failure.taskRunId, failure.attempt, .failed, date)
            noteRun(failure.taskRunId, failure.willRetry ? .retrying : .failed, date)
        case .taskCancelled(let cancelled):
            noteAttempt(cancelled.taskRunId, cancelled.attempt, .killed, date)
            noteRun(cancelled.taskRunId, .killed, date)
            noteKilling(date)
        case .taskAdopted(let adopted):
            taskRunHistories[adopted.taskRunId] = TaskRunHistory(
                states: [.init(state: .created, date: date), .init(state: Kestra.StateType(adopted.state), date: date)])
        case .executionFinished(let finished):
            let state = Kestra.StateType(finished.state)
            if state == .killed { noteKilling(date) }
            if history.last?.state != state { history.append(.init(state: state, date: date)) }
        case .logLinesReceived(let lines):
            keep(lines, recordedAt: time)
        default:
            break
        }
    }

    private mutating func noteRun(_ taskRunId: String, _ state: Kestra.StateType, _ date: String) {
        guard taskRunHistories[taskRunId]?.states.last?.state != state else { return }
        taskRunHistories[taskRunId, default: TaskRunHistory()].states.append(.init(state: state, date: date))
    }

    private mutating func noteAttempt(_ taskRunId: String, _ attempt: Int, _ state: Kestra.StateType, _ date: String) {
        taskRunHistories[taskRunId, default: TaskRunHistory()].attempts[attempt, default: []]
            .append(.init(state: state, date: date))
    }

    /// Kestra's kill goes RUNNING → KILLING → KILLED: the first cancelled task run (or the end, if none) is when
    /// the execution began to be killed.
    private mutating func noteKilling(_ date: String) {
        if history.last?.state == .running { history.append(.init(state: .killing, date: date)) }
    }

    private mutating func keep(_ lines: LogLinesReceived, recordedAt: String) {
        let taskId = state.taskRun(lines.taskRunId)?.taskId ?? ""
        for line in lines.lines {
            logLines.append(
                RecordedLogLine(
                    taskRunId: lines.taskRunId, taskId: taskId, attempt: lines.attempt, line: line,
                    recordedAt: recordedAt))
        }
    }
}

/// One stored log line with the task run and attempt that printed it.
public struct RecordedLogLine: Sendable, Equatable {
    public var taskRunId: String
    public var taskId: String
    /// The attempt, from 1, as recorded.
    public var attempt: Int
    /// The line as stored (already masked), with its original time, severity and stream.
    public var line: LogLine
    /// When the ledger recorded the line (its time when the line's own time is not RFC 3339).
    public var recordedAt: String

    public init(taskRunId: String, taskId: String, attempt: Int, line: LogLine, recordedAt: String) {
        self.taskRunId = taskRunId
        self.taskId = taskId
        self.attempt = attempt
        self.line = line
        self.recordedAt = recordedAt
    }
}
