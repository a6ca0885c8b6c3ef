import Foundation
import Ledger
import Server
import Testing

@testable import Engine

/// Events of one execution (`exec-1` of `company.team/hello`), recorded half a second apart from
/// 2025-01-01T00:00:00Z, as the ledger would hand them back.
struct Recording {
    private(set) var events: [RecordedEvent] = []
    private var clock = Timestamp(seconds: 1_735_689_600, nanos: 0)

    /// The time the next event is recorded at.
    var nextTime: String { clock.rfc3339(fractionDigits: 6) }

    /// A moment after every event: the "now" of a mapping.
    var now: Timestamp { Timestamp(seconds: clock.seconds + 60, nanos: 0) }

    mutating func record(_ event: ExecutionEvent) throws {
        let new = try event.encoded()
        let seq = Int64(events.count + 1)
        events.append(
            RecordedEvent(
                seq: seq, stream: "exec-1", version: seq, type: new.type, schemaVersion: new.schemaVersion,
                recordedAt: nextTime, payload: new.payload, payloadSHA256: .zero, prevHash: .zero, hash: .zero,
                streamHash: .zero))
        clock = Timestamp(
            seconds: clock.seconds + (clock.nanos >= 500_000_000 ? 1 : 0),
            nanos: (clock.nanos + 500_000_000) % 1_000_000_000)
    }

    mutating func record(_ events: [ExecutionEvent]) throws {
        for event in events { try record(event) }
    }

    func record() throws -> ExecutionRecord { try ExecutionRecord.fold(events) }

    func execution() throws -> Kestra.Execution { Kestra.Execution(try record(), now: now) }
}

/// Payloads of the events a script task's life records.
enum Make {
    static func started(
        labels: [String: String] = ["team": "data"], inputs: [String: EventValue] = ["name": .string("bob")]
    )
        -> ExecutionEvent
    {
        .executionStarted(
            ExecutionStarted(
                executionId: "exec-1", namespace: "company.team", flowId: "hello", flowRevision: 3,
                flowPath: "hello.yaml", flowSource: "id: hello", flowSHA256: "", inputs: inputs, labels: labels,
                backend: Backend(kind: .local, endpoint: nil), outputDirectory: "/out", namespaceFilesDirectory: nil,
                namespaceFileDigests: [:], forkedFrom: nil))
    }

    static func attempt(_ taskRunId: String, task: String = "t", attempt: Int = 1, value: String? = nil)
        -> ExecutionEvent
    {
        .attemptStarted(
            AttemptStarted(
                taskRunId: taskRunId, taskId: task, value: value, attempt: attempt, workingDirId: "wd\(attempt)",
                jobId: "job-\(attempt)", requestId: "req-\(attempt)", project: "p", projectSecret: nil, region: "r",
                bucket: "b", bucketSecret: nil, provisioningModel: "SPOT"))
    }

    static func lines(
        _ taskRunId: String, attempt: Int = 1, _ lines: [(severity: String, stderr: Bool, text: String)]
    ) -> ExecutionEvent {
        .logLinesReceived(
            LogLinesReceived(
                taskRunId: taskRunId, attempt: attempt,
                lines: lines.map {
                    LogLine(
                        time: "2025-01-01T00:00:00.25+01:00", severity: $0.severity, text: $0.text, stderr: $0.stderr)
                },
                droppedLines: 0, cursorTime: "2025-01-01T00:00:00Z", cursorInsertId: "i"))
    }

    static func exit(_ taskRunId: String, attempt: Int = 1, code: Int) -> ExecutionEvent {
        .exitCodeObserved(ExitCodeObserved(taskRunId: taskRunId, attempt: attempt, exitCode: code, meaning: nil))
    }

    static func succeeded(_ taskRunId: String, attempt: Int = 1, _ state: RunState = .succeeded) -> ExecutionEvent {
        .taskSucceeded(TaskSucceeded(taskRunId: taskRunId, attempt: attempt, state: state))
    }

    static func failed(_ taskRunId: String, attempt: Int = 1, willRetry: Bool) -> ExecutionEvent {
        .taskFailed(
            TaskFailed(
                taskRunId: taskRunId, attempt: attempt, reason: "exit 1", exitCode: 1, willRetry: willRetry,
                allowed: false))
    }

    static func cancelled(_ taskRunId: String, attempt: Int = 1) -> ExecutionEvent {
        .taskCancelled(TaskCancelled(taskRunId: taskRunId, attempt: attempt, reason: "cancelled by the user"))
    }

    static func finished(_ state: RunState) -> ExecutionEvent {
        .executionFinished(ExecutionFinished(state: state))
    }
}

/// A Kestra document encoded and read back as a JSON tree whose numbers, booleans and strings stay apart.
func json(_ value: some Encodable) throws -> EventValue {
    try EventValue.parse(try Kestra.encoder().encode(value))
}

extension EventValue {
    subscript(key: String) -> EventValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    subscript(index: Int) -> EventValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var int: Int? {
        if case .number(let number) = self, let value = number.int64 { return Int(value) }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var array: [EventValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var keys: [String] {
        if case .object(let object) = self { return object.keys }
        return []
    }
}

/// Whether `text` is a UTC instant as Kestra writes it: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
func isKestraDate(_ value: EventValue?) -> Bool {
    guard let text = value?.string else { return false }
    return text.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#, options: .regularExpression) != nil
}

/// Checks the keys and JSON types kestrapy's strict `State` model requires, naming `path` on failure.
func expectStrictState(_ state: EventValue?, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let state else {
        Issue.record("\(path) is missing", sourceLocation: sourceLocation)
        return
    }
    #expect(
        state["current"]?.string.flatMap(Kestra.StateType.init(rawValue:)) != nil, "\(path).current",
        sourceLocation: sourceLocation)
    #expect(state["histories"]?.array != nil, "\(path).histories", sourceLocation: sourceLocation)
    for (index, history) in (state["histories"]?.array ?? []).enumerated() {
        #expect(
            history["state"]?.string.flatMap(Kestra.StateType.init(rawValue:)) != nil,
            "\(path).histories[\(index)].state", sourceLocation: sourceLocation)
        #expect(isKestraDate(history["date"]), "\(path).histories[\(index)].date", sourceLocation: sourceLocation)
    }
    #expect(
        state["getDuration"]?.string?.hasPrefix("PT") == true, "\(path).getDuration", sourceLocation: sourceLocation)
    #expect(isKestraDate(state["getStartDate"]), "\(path).getStartDate", sourceLocation: sourceLocation)
    #expect(isKestraDate(state["getEndDate"]), "\(path).getEndDate", sourceLocation: sourceLocation)
    #expect(isKestraDate(state["startDate"]), "\(path).startDate", sourceLocation: sourceLocation)
}

/// The states of a JSON `State`'s history, in order.
func historyStates(_ state: EventValue?) -> [String] {
    (state?["histories"]?.array ?? []).compactMap { $0["state"]?.string }
}
