import Foundation
import Server
import Testing

@testable import Engine

/// An execution folded from recorded events encodes with every key and JSON type kestrapy's strict `Execution`
/// model requires, and with Kestra's state names and histories.
@Suite struct ExecutionJSONTests {
    /// Checks the keys and types serve-spec §6 requires of an Execution and each of its task runs and attempts.
    private func expectStrictExecution(_ execution: EventValue, sourceLocation: SourceLocation = #_sourceLocation) {
        for key in ["id", "namespace", "flowId", "originalId"] {
            #expect(execution[key]?.string != nil, "\(key) is a string", sourceLocation: sourceLocation)
        }
        #expect(execution["flowRevision"]?.int != nil, "flowRevision is an int", sourceLocation: sourceLocation)
        #expect(execution["deleted"]?.bool == false, "deleted is a bool", sourceLocation: sourceLocation)
        #expect(
            isKestraDate(execution["metadata"]?["originalCreatedDate"]), "metadata.originalCreatedDate",
            sourceLocation: sourceLocation)
        #expect(execution["inputs"]?.keys != nil, sourceLocation: sourceLocation)
        for label in execution["labels"]?.array ?? [] {
            #expect(label["key"]?.string != nil && label["value"]?.string != nil, sourceLocation: sourceLocation)
        }
        expectStrictState(execution["state"], "state", sourceLocation: sourceLocation)
        for (index, run) in (execution["taskRunList"]?.array ?? []).enumerated() {
            for key in ["id", "executionId", "namespace", "flowId", "taskId"] {
                #expect(run[key]?.string != nil, "taskRunList[\(index)].\(key)", sourceLocation: sourceLocation)
            }
            if case .object? = run["outputs"] {
            } else {
                Issue.record("taskRunList[\(index)].outputs is not an object", sourceLocation: sourceLocation)
            }
            expectStrictState(run["state"], "taskRunList[\(index)].state", sourceLocation: sourceLocation)
            for (number, attempt) in (run["attempts"]?.array ?? []).enumerated() {
                expectStrictState(
                    attempt["state"], "taskRunList[\(index)].attempts[\(number)].state", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func aSucceededExecutionHasEveryRequiredKeyWithItsJSONType() throws {
        var recording = Recording()
        try recording.record([
            Make.started(), Make.attempt("t"), Make.exit("t", code: 0),
            .outputsParsed(
                OutputsParsed(taskRunId: "t", attempt: 1, vars: ["count": .number(2)], metrics: [], warnings: [])),
            Make.succeeded("t"), Make.finished(.succeeded),
        ])
        let execution = try json(try recording.execution())
        expectStrictExecution(execution)
        #expect(execution["id"]?.string == "exec-1")
        #expect(execution["originalId"]?.string == "exec-1")
        #expect(execution["flowRevision"]?.int == 3)
        #expect(execution["inputs"]?["name"]?.string == "bob")
        #expect(execution["labels"]?[0]?["key"]?.string == "team")
        #expect(execution["labels"]?[1]?["key"]?.string == "system.correlationId")
        #expect(execution["labels"]?[1]?["value"]?.string == "exec-1")
        #expect(execution["state"]?["current"]?.string == "SUCCESS")
        #expect(historyStates(execution["state"]) == ["CREATED", "RUNNING", "SUCCESS"])
        #expect(execution["state"]?["startDate"]?.string == "2025-01-01T00:00:00.000000Z")
        #expect(execution["state"]?["endDate"]?.string == "2025-01-01T00:00:02.500000Z")
        #expect(execution["state"]?["duration"]?.string == "PT2.5S")
        #expect(execution["state"]?["getEndDate"] == execution["state"]?["endDate"])
        let run = try #require(execution["taskRunList"]?[0])
        #expect(run["taskId"]?.string == "t")
        #expect(run["state"]?["current"]?.string == "SUCCESS")
        #expect(historyStates(run["state"]) == ["CREATED", "RUNNING", "SUCCESS"])
        #expect(run["state"]?["duration"]?.string == "PT1.5S")
        #expect(run["outputs"]?["vars"]?["count"]?.int == 2)
        #expect(run["outputs"]?["exitCode"]?.int == 0)
        #expect(run["attempts"]?.array?.count == 1)
        #expect(run["attempts"]?[0]?["state"]?["current"]?.string == "SUCCESS")
    }

    @Test func aForEachGivesOneTaskRunPerValueEachWithItsOwnStateAndValue() throws {
        var recording = Recording()
        try recording.record([
            Make.started(),
            Make.attempt("each_0", task: "each", value: "a"), Make.attempt("each_1", task: "each", value: "b"),
            Make.attempt("each_2", task: "each", value: "c"),
            Make.succeeded("each_1"), Make.succeeded("each_0", .warning), Make.failed("each_2", willRetry: false),
            Make.finished(.failed),
        ])
        let execution = try json(try recording.execution())
        expectStrictExecution(execution)
        let runs = try #require(execution["taskRunList"]?.array)
        #expect(runs.map { $0["id"]?.string } == ["each_0", "each_1", "each_2"])
        #expect(runs.map { $0["taskId"]?.string } == ["each", "each", "each"])
        #expect(runs.map { $0["value"]?.string } == ["a", "b", "c"])
        #expect(runs.map { $0["state"]?["current"]?.string } == ["WARNING", "SUCCESS", "FAILED"])
        #expect(Set(runs.compactMap { $0["executionId"]?.string }) == ["exec-1"])
    }

    @Test func aCoreTaskRunHasNoAttemptAndItsOwnOutputs() throws {
        var recording = Recording()
        try recording.record([
            Make.started(),
            .taskStarted(
                TaskStarted(
                    taskRunId: "ret", taskId: "ret", value: nil, type: "io.kestra.plugin.core.debug.Return",
                    parentTaskRunId: nil)),
            .outputsParsed(
                OutputsParsed(taskRunId: "ret", attempt: 1, vars: ["value": .string("v")], metrics: [], warnings: [])),
            Make.succeeded("ret"), Make.finished(.succeeded),
        ])
        let execution = try json(try recording.execution())
        expectStrictExecution(execution)
        let run = try #require(execution["taskRunList"]?[0])
        #expect(run["taskId"]?.string == "ret")
        #expect(run["attempts"]?.array?.isEmpty == true)
        #expect(run["outputs"]?["value"]?.string == "v", "Return's output is outputs.value, as in Kestra")
        #expect(historyStates(run["state"]) == ["CREATED", "RUNNING", "SUCCESS"])
    }

    @Test func aRetriedTaskRunKeepsBothAttemptsEachWithItsOwnState() throws {
        var recording = Recording()
        try recording.record([
            Make.started(), Make.attempt("t"), Make.exit("t", code: 1), Make.failed("t", willRetry: true),
            Make.attempt("t", attempt: 2), Make.exit("t", attempt: 2, code: 0), Make.succeeded("t", attempt: 2),
            Make.finished(.succeeded),
        ])
        let execution = try json(try recording.execution())
        expectStrictExecution(execution)
        let run = try #require(execution["taskRunList"]?[0])
        let attempts = try #require(run["attempts"]?.array)
        #expect(attempts.map { $0["state"]?["current"]?.string } == ["FAILED", "SUCCESS"])
        #expect(historyStates(attempts[0]["state"]) == ["RUNNING", "FAILED"])
        #expect(historyStates(attempts[1]["state"]) == ["RUNNING", "SUCCESS"])
        #expect(attempts[1]["state"]?["startDate"]?.string == "2025-01-01T00:00:02.000000Z")
        #expect(historyStates(run["state"]) == ["CREATED", "RUNNING", "RETRYING", "RUNNING", "SUCCESS"])
        #expect(run["state"]?["current"]?.string == "SUCCESS")
    }

    @Test func aFailedExecutionEndsFailedWithItsFailedTaskRun() throws {
        var recording = Recording()
        try recording.record([
            Make.started(), Make.attempt("t"), Make.exit("t", code: 2), Make.failed("t", willRetry: false),
            Make.finished(.failed),
        ])
        let execution = try json(try recording.execution())
        expectStrictExecution(execution)
        #expect(execution["state"]?["current"]?.string == "FAILED")
        #expect(historyStates(execution["state"]) == ["CREATED", "RUNNING", "FAILED"])
        #expect(execution["taskRunList"]?[0]?["state"]?["current"]?.string == "FAILED")
        #expect(execution["taskRunList"]?[0]?["outputs"]?["exitCode"]?.int == 2)
        #expect(isKestraDate(execution["state"]?["endDate"]))
    }

    @Test func aCancelledExecutionIsKilledAfterKilling() throws {
        var recording = Recording()
        try recording.record([
            Make.started(), Make.attempt("t"), Make.cancelled("t"), Make.finished(.cancelled),
        ])
        let execution = try json(try recording.execution())
        expectStrictExecution(execution)
        #expect(execution["state"]?["current"]?.string == "KILLED")
        #expect(historyStates(execution["state"]) == ["CREATED", "RUNNING", "KILLING", "KILLED"])
        let run = try #require(execution["taskRunList"]?[0])
        #expect(run["state"]?["current"]?.string == "KILLED")
        #expect(run["attempts"]?[0]?["state"]?["current"]?.string == "KILLED")
    }

    @Test func aRunningExecutionEndsNowWithoutAnEndDate() throws {
        var recording = Recording()
        try recording.record([Make.started(), Make.attempt("t")])
        let now = recording.now
        let execution = try json(Kestra.Execution(try recording.record(), now: now))
        expectStrictExecution(execution)
        #expect(execution["state"]?["current"]?.string == "RUNNING")
        #expect(execution["state"]?["endDate"] == nil)
        #expect(execution["state"]?["getEndDate"]?.string == Kestra.date(now))
        #expect(execution["taskRunList"]?[0]?["attempts"]?[0]?["state"]?["current"]?.string == "RUNNING")
    }

    @Test func labelsAreAListOfKeyValueObjectsNeverAMap() throws {
        var recording = Recording()
        try recording.record([Make.started(labels: ["b": "2", "a": "1"])])
        let labels = try json(try recording.execution())["labels"]
        #expect(labels?.array?.compactMap { $0["key"]?.string } == ["a", "b", "system.correlationId"])
    }
}

/// The record's own fold is the engine's: the server shows the state `show` and recovery read.
@Suite struct ExecutionRecordTests {
    @Test func theRecordFoldsTheSameExecutionStateAsTheEngine() throws {
        var recording = Recording()
        try recording.record([
            Make.started(), Make.attempt("t"), Make.lines("t", [("INFO", false, "hi")]), Make.succeeded("t"),
            Make.finished(.succeeded),
        ])
        #expect(try recording.record().state == ExecutionState.fold(recording.events))
        #expect(try recording.record().state.lastSeq == 5)
    }
}
