import Engine
import Foundation
import Ledger
import Testing

/// The timeline `replay EXECUTION` prints and the page `export --format html` writes, for the recorded histories
/// of `Fixtures/histories/`, against golden files made before reading history became linear
/// (`Fixtures/timelines/`): the faster code must print the very same thing.
@Suite("Replay timeline and HTML page of recorded histories")
struct TimelineOutputTests {
    static let histories = ["gcp_batch_runner", "multi_task", "foreach", "failing"]

    /// A ledger holding only the history `name`, and its execution id.
    func imported(_ name: String) throws -> (CLI, String) {
        let cli = try CLI()
        let imported = try cli.run(["import", CLI.fixture("histories/\(name).ndjson")])
        #expect(imported.status == 0, "\(imported.stderr)")
        let id = try #require(try cli.run(["executions"]).stdout.split(separator: " ").first.map(String.init))
        return (cli, id)
    }

    @Test("replay prints the same timeline as its golden file, line for line", arguments: histories)
    func replayTimeline(_ name: String) throws {
        let (cli, id) = try imported(name)
        let replay = try cli.run(["replay", id])
        #expect(replay.status == 0, "\(replay.stderr)")
        let golden = try String(contentsOfFile: CLI.fixture("timelines/\(name).replay.txt"), encoding: .utf8)
        #expect(replay.stdout == golden)
    }

    @Test("the HTML page is its golden file byte for byte, but for the time it was generated", arguments: histories)
    func htmlPage(_ name: String) throws {
        let (cli, id) = try imported(name)
        let export = try cli.run(["export", "--format", "html", id])
        #expect(export.status == 0, "\(export.stderr)")
        let generated = try Regex(#", generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z</div>"#)
        let page = export.stdout.replacing(generated, with: ", generated (time of export)</div>")
        let golden = try String(contentsOfFile: CLI.fixture("timelines/\(name).html"), encoding: .utf8)
        #expect(page == golden)
    }
}

/// `Timeline.steps` compares only the task run an event touches; these check that it says exactly what a
/// comparison of the whole state before and after each event (`Timeline.changes(from:to:)`) says.
@Suite("Timeline of one event at a time")
struct TimelineStepTests {
    /// The events of a fixture history, as the ledger stores them (type and payload).
    static func fixtureEvents(_ name: String) throws -> [NewEvent] {
        let text = try String(contentsOfFile: CLI.fixture("histories/\(name).ndjson"), encoding: .utf8)
        return try text.split(separator: "\n").dropFirst().map { line in
            let envelope = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let type = try #require(envelope["type"] as? String)
            let payload = try JSONSerialization.data(
                withJSONObject: try #require(envelope["payload"]), options: [.sortedKeys, .withoutEscapingSlashes])
            return NewEvent(type: type, payload: payload)
        }
    }

    static func event(_ type: String, _ payload: [String: Any]) throws -> NewEvent {
        NewEvent(type: type, payload: try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]))
    }

    /// A history with what the engine rarely or never writes: a second attempt numbered like the first, an
    /// adopted task run, a retry, a recorded API retry and a failure. (An event type from a newer version is an
    /// error for every reader, the timeline too.)
    static func unusualEvents() throws -> [NewEvent] {
        let events = try fixtureEvents("foreach")
        let started = try #require(events.first { $0.type == "AttemptStarted" })
        let polled = try #require(events.first { $0.type == "JobPolled" })
        return [events[0], started, polled, started, polled]
            + [
                try event(
                    "TaskAdopted",
                    [
                        "taskRunId": "adopted", "taskId": "adopted", "fromExecution": "parent", "parentSeq": 3,
                        "state": "SUCCEEDED", "vars": ["k": 1], "metrics": [], "outputFiles": ["f": "/tmp/f"],
                        "exitCode": 0,
                    ]),
                try event(
                    "APICallRetried",
                    [
                        "taskRunId": "probe[0]", "call": "jobs.get", "failedAttempt": 1, "reason": "503",
                        "delaySeconds": 0.5,
                    ]),
                try event(
                    "TaskFailed",
                    ["taskRunId": "probe[0]", "attempt": 1, "reason": "exit 3", "willRetry": true, "allowed": false]),
                try event(
                    "TaskFailed",
                    ["taskRunId": "probe[0]", "attempt": 1, "reason": "exit 3", "willRetry": false, "allowed": true]),
            ] + events.dropFirst()
    }

    @Test(
        "each step lists exactly the changes a comparison of the whole state before and after lists",
        arguments: ["foreach", "multi_task", "failing", "gcp_batch_runner", "unusual"])
    func stepsMatchWholeStateComparison(_ name: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("timeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try EventStore(path: folder.appendingPathComponent("t.ledger").path)
        let events = name == "unusual" ? try Self.unusualEvents() : try Self.fixtureEvents(name)
        try store.append(events, to: "execution")

        let steps = try Timeline.steps(of: "execution", in: store)
        var expected: [[String]] = []
        var state = ExecutionState()
        try store.readStream("execution") { recorded in
            let before = state
            try state.apply(recorded)
            expected.append(Timeline.changes(from: before, to: state))
        }
        #expect(steps.count == events.count)
        #expect(steps.map(\.changes) == expected)
        if name == "unusual" {
            // Two attempts numbered 1 make probe[0] report a change on events about other task runs too.
            let elsewhere = steps.filter { step in
                !step.summary.hasPrefix("probe[0] ") && step.changes.contains { $0.hasPrefix("probe[0] ") }
            }
            #expect(elsewhere.count > 3)
        }
    }
}

/// The fold keeps an index of its task runs; the index is invisible in the state's value and encoding.
@Suite("Execution state's task run index")
struct ExecutionStateIndexTests {
    func folded(_ name: String) throws -> ExecutionState {
        var state = ExecutionState()
        for (index, event) in try TimelineStepTests.fixtureEvents(name).enumerated() {
            try state.apply(
                RecordedEvent(
                    seq: Int64(index + 1), stream: "e", version: Int64(index + 1), type: event.type,
                    schemaVersion: event.schemaVersion, recordedAt: "2026-01-01T00:00:00.000000Z",
                    payload: event.payload, payloadSHA256: .zero, prevHash: .zero, hash: .zero, streamHash: .zero))
        }
        return state
    }

    @Test("an encoded state has no index in it, and decodes to an equal state that finds every task run")
    func encodedWithoutIndex() throws {
        let state = try folded("foreach")
        #expect(state.taskRuns.count == 3)
        let data = try JSONEncoder().encode(state)
        let keys = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).keys
        #expect(
            Set(keys)
                == [
                    "executionId", "namespace", "flowId", "state", "startedAt", "endedAt", "started", "taskRuns",
                    "storedLogBytes", "droppedLogLines", "recoveryFailures", "forks", "lastSeq", "version", "outputs",
                    "inputFileObjects", "inputFilesStored",
                ])
        var decoded = try JSONDecoder().decode(ExecutionState.self, from: data)
        #expect(decoded == state)
        for (position, run) in state.taskRuns.enumerated() {
            #expect(decoded.taskRunPosition(run.taskRunId) == position)
        }
        decoded.apply(
            .exitCodeObserved(ExecutionEventSample.exitCode(taskRunId: "probe[1]", code: 7)), at: "2026-01-01T00:00:01Z"
        )
        #expect(decoded.taskRun("probe[1]")?.exitCode == 7)
        #expect(decoded.taskRuns.filter { $0.exitCode == 7 }.count == 1)
    }

    @Test("task runs set from outside the fold are still found, and the fold changes the right one")
    func setFromOutside() throws {
        var state = try folded("foreach")
        state.taskRuns.reverse()
        #expect(state.taskRunPosition("probe[0]") == 2)
        #expect(state.taskRun("probe[2]")?.taskRunId == "probe[2]")
        state.apply(
            .exitCodeObserved(ExecutionEventSample.exitCode(taskRunId: "probe[0]", code: 9)), at: "2026-01-01T00:00:01Z"
        )
        #expect(state.taskRuns[2].exitCode == 9)
        #expect(state.taskRuns[0].exitCode == 0)
    }
}

/// Payloads built from JSON (their memberwise initialisers are internal to the engine).
enum ExecutionEventSample {
    static func exitCode(taskRunId: String, code: Int) -> ExitCodeObserved {
        let json = #"{"taskRunId":"\#(taskRunId)","attempt":1,"exitCode":\#(code)}"#
        return try! JSONDecoder().decode(ExitCodeObserved.self, from: Data(json.utf8))
    }
}
