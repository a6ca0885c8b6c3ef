import Foundation
import Ledger
import Testing

@testable import Engine

/// The event registry is the one place that names event types and their schema versions: every event survives
/// the ledger's encoding, and a recorded event this version cannot read is an error that names it.
@Suite struct EventRegistryTests {
    /// One event of every type.
    static let everyEvent: [ExecutionEvent] = [
        .executionStarted(Events.executionStarted()),
        .attemptStarted(Events.attemptStarted(attempt: 1)),
        .taskRendered(
            TaskRendered(
                taskRunId: "t1", attempt: 1, containerImage: "ubuntu", commandsSHA256: "ab", inputFiles: ["a": "cd"],
                environmentNames: ["E"], secretsUsed: [SecretReference(name: "S", hmacSHA256: "ef")])),
        .uploadRequested(
            UploadRequested(
                taskRunId: "t1", attempt: 1, bucket: "b", objects: [StagedObject(object: "o", size: 3, crc32c: "c")])),
        .fileUploaded(FileUploaded(taskRunId: "t1", attempt: 1, object: "o", generation: 7, size: 3, crc32c: "c")),
        .jobCreateRequested(
            JobCreateRequested(taskRunId: "t1", attempt: 1, jobId: "j", requestId: "r", specSHA256: "s")),
        .jobCreated(JobCreated(taskRunId: "t1", attempt: 1, name: "projects/p/jobs/j", uid: "u", adopted: false)),
        .jobPolled(
            JobPolled(
                taskRunId: "t1", attempt: 1, state: "RUNNING",
                newStatusEvents: [
                    JobStatusChange(type: "x", description: "d", time: "t", taskState: "RUNNING", exitCode: nil)
                ])),
        .logLinesReceived(Events.lines(["hello"])),
        .outputsParsed(OutputsParsed(taskRunId: "t1", attempt: 1, vars: [:], metrics: [], warnings: ["w"])),
        .exitCodeObserved(ExitCodeObserved(taskRunId: "t1", attempt: 1, exitCode: 50001, meaning: "preempted")),
        .outputFileDownloaded(
            OutputFileDownloaded(
                taskRunId: "t1", attempt: 1, name: "out.txt", object: "wd1/out.txt", localPath: "/out/out.txt",
                size: 2, crc32c: "c")),
        .outputFileKept(
            OutputFileKept(
                taskRunId: "t1", attempt: 1, name: "out.txt", bucket: "b", object: "kestra-outputs/e/t1/1/out.txt",
                generation: 3, size: 2, crc32c: "c")),
        .jobDeleteRequested(
            JobDeleteRequested(taskRunId: "t1", attempt: 1, name: "n", requestId: "r", reason: "task completed")),
        .jobDeleted(JobDeleted(taskRunId: "t1", attempt: 1, name: "n", alreadyGone: true)),
        .stagingCleaned(StagingCleaned(taskRunId: "t1", attempt: 1, prefix: "wd1/", objectsDeleted: 2)),
        .apiCallRetried(
            APICallRetried(
                taskRunId: nil, call: "jobs.get", failedAttempt: 1, status: 503, reason: "r", delaySeconds: 1.5)),
        .taskSucceeded(TaskSucceeded(taskRunId: "t1", attempt: 1, state: .warning)),
        .taskFailed(Events.failed(attempt: 1, willRetry: true)),
        .taskCancelled(TaskCancelled(taskRunId: "t1", attempt: 1, reason: "killed")),
        .executionFinished(ExecutionFinished(state: .cancelled)),
        .reconciled(Reconciled(taskRunId: "t1", attempt: 1, recordedStep: "watching", observed: "o", action: "a")),
        .recoveryFailed(RecoveryFailed(reason: "r", failures: 2, givenUp: false)),
        .taskAdopted(
            TaskAdopted(
                taskRunId: "t1", taskId: "t", value: nil, fromExecution: "parent", parentSeq: 9, state: .failed,
                vars: [:], metrics: [Metric(name: "m", type: "counter", value: 1, tags: [:])], outputFiles: [:],
                exitCode: 1, jobId: "j")),
        .executionForked(ExecutionForked(child: "child", fromTask: "t")),
        .outputFileRefused(OutputFileRefused(taskRunId: "t1", attempt: 1, object: "wd1/../x", reason: "a .. segment")),
        .killRequested(KillRequested(executionId: "e1", requestedBy: "carol")),
        .taskStarted(
            TaskStarted(
                taskRunId: "t2", taskId: "t2", value: nil, type: "io.kestra.plugin.core.flow.If",
                parentTaskRunId: "p", branch: "then")),
        .executionEnding(ExecutionEnding(state: .warning, outputs: ["out": .string("v")])),
        .subflowStarted(SubflowStarted(taskRunId: "t3", childExecutionId: "child", namespace: "ns", flowId: "f")),
        .inputFileUploadRequested(
            InputFileUploadRequested(
                input: "file", bucket: "b", object: "ns/f/executions/e/inputs/file/data.txt", size: 3, crc32c: "c",
                sha256: "s")),
        .inputFileUploaded(
            InputFileUploaded(
                input: "file", object: "ns/f/executions/e/inputs/file/data.txt", generation: 7, size: 3, crc32c: "c",
                adopted: false)),
        .concurrencyQueued(ConcurrencyQueued(limit: 1, running: ["e1"])),
        .concurrencySlotTaken(ConcurrencySlotTaken(running: [])),
        .concurrencyRefused(ConcurrencyRefused(behavior: "CANCEL", limit: 1, running: ["e1"])),
    ]

    /// `new` as the ledger would hand it back at `seq`.
    static func recorded(_ new: NewEvent, seq: Int64 = 1) -> RecordedEvent {
        RecordedEvent(
            seq: seq, stream: "exec-1", version: seq, type: new.type, schemaVersion: new.schemaVersion,
            recordedAt: "2026-01-01T00:00:00.000000Z", payload: new.payload, payloadSHA256: .zero, prevHash: .zero,
            hash: .zero, streamHash: .zero)
    }

    static func recorded(type: String, schemaVersion: Int = 1, json: String, seq: Int64 = 1) -> RecordedEvent {
        recorded(NewEvent(type: type, schemaVersion: schemaVersion, payload: Data(json.utf8)), seq: seq)
    }

    @Test func everyRegisteredTypeHasAnEventInTheSampleAndNoTwoShareAName() {
        let sampled = Self.everyEvent.map(\.type)
        #expect(Set(sampled).count == sampled.count)
        #expect(Set(sampled) == Set(EventRegistry.current.entries.map(\.type)))
    }

    @Test(arguments: everyEvent)
    func everyEventRoundTripsThroughTheRegistry(_ event: ExecutionEvent) throws {
        let new = try event.encoded()
        #expect(new.type == event.type)
        #expect(new.schemaVersion == EventRegistry.current.entry(named: event.type)?.schemaVersion)
        #expect(try ExecutionEvent.decode(Self.recorded(new)) == event)
    }

    @Test func statesAndBackendKindsAreRecordedByTheirOldNames() throws {
        let success = try ExecutionEvent.taskSucceeded(TaskSucceeded(taskRunId: "t1", attempt: 2, state: .warning))
            .encoded()
        #expect(success.type == "TaskSucceeded")
        let text = String(decoding: success.payload, as: UTF8.self)
        #expect(text == #"{"attempt":2,"state":"WARNING","taskRunId":"t1"}"#)
        let finished = try ExecutionEvent.executionFinished(ExecutionFinished(state: .succeeded)).encoded()
        #expect(String(decoding: finished.payload, as: UTF8.self) == #"{"state":"SUCCEEDED"}"#)
        let backend = try CanonicalJSON.encode(Backend(kind: .endpoint, endpoint: "http://127.0.0.1:1"))
        #expect(String(decoding: backend, as: UTF8.self) == #"{"endpoint":"http://127.0.0.1:1","kind":"endpoint"}"#)
    }

    @Test func aStateNameThisVersionDoesNotKnowIsUnreadable() {
        let recorded = Self.recorded(type: "ExecutionFinished", json: #"{"state":"PAUSED"}"#, seq: 4)
        #expect {
            try ExecutionEvent.decode(recorded)
        } throws: { error in
            guard case EngineError.unreadableEvent(4, "ExecutionFinished", _) = error else { return false }
            return true
        }
    }

    @Test func anUnknownEventTypeIsAnErrorNamingItsSeqAndType() {
        let recorded = Self.recorded(type: "TaskTeleported", json: "{}", seq: 17)
        #expect(throws: EngineError.unknownEventType(seq: 17, type: "TaskTeleported")) {
            try ExecutionEvent.decode(recorded)
        }
        let message = "\(EngineError.unknownEventType(seq: 17, type: "TaskTeleported"))"
        #expect(message.contains("seq 17 has type TaskTeleported"))
    }

    @Test func theFoldRefusesAnUnknownEventTypeInsteadOfSkippingIt() throws {
        var state = ExecutionState()
        try state.apply(Self.recorded(try ExecutionEvent.executionStarted(Events.executionStarted()).encoded()))
        #expect(throws: EngineError.unknownEventType(seq: 2, type: "TaskTeleported")) {
            try state.apply(Self.recorded(type: "TaskTeleported", json: "{}", seq: 2))
        }
        #expect(state.lastSeq == 1)
    }

    @Test func aSchemaVersionNewerThanKnownIsAnError() {
        let recorded = Self.recorded(type: "ExecutionFinished", schemaVersion: 2, json: #"{"state":"FAILED"}"#, seq: 9)
        #expect(throws: EngineError.newerEventSchema(seq: 9, type: "ExecutionFinished", recorded: 2, known: 1)) {
            try ExecutionEvent.decode(recorded)
        }
    }

    @Test func anOlderSchemaVersionGoesThroughItsTypesUpcaster() throws {
        // A registry in which ExecutionForked is at version 2, and version 1 called `fromTask` `task`.
        struct ForkedV1: Decodable {
            var child: String
            var task: String
        }
        var registry = EventRegistry()
        registry.register(
            ExecutionForked.self, as: "ExecutionForked", version: 2,
            upcast: { data, version in
                #expect(version == 1)
                let old = try JSONDecoder().decode(ForkedV1.self, from: data)
                return ExecutionForked(child: old.child, fromTask: old.task)
            }
        ) { .executionForked($0) }
        let old = Self.recorded(type: "ExecutionForked", schemaVersion: 1, json: #"{"child":"c","task":"t"}"#)
        #expect(try registry.decode(old) == .executionForked(ExecutionForked(child: "c", fromTask: "t")))
        let current = Self.recorded(type: "ExecutionForked", schemaVersion: 2, json: #"{"child":"c","fromTask":"t"}"#)
        #expect(try registry.decode(current) == .executionForked(ExecutionForked(child: "c", fromTask: "t")))
        #expect(registry.entry(for: ExecutionForked.self)?.schemaVersion == 2)
    }

    @Test func runStatesKnowWhichAreFinal() {
        #expect(RunState.allCases.filter(\.isTerminal) == [.succeeded, .warning, .failed, .cancelled, .killed])
        #expect(
            RunState.allCases.map(\.rawValue) == [
                "CREATED", "RUNNING", "SUCCEEDED", "WARNING", "FAILED", "CANCELLED", "KILLED",
            ])
    }
}
