import GoogleCloud
import Testing

@testable import Engine

/// The execution's state is a pure fold over its events: task runs, attempts, outputs and stored log bytes.
@Suite struct ExecutionStateFoldTests {
    @Test func executionStartedMakesTheExecutionRunning() {
        let state = Events.fold([.executionStarted(Events.executionStarted())])
        #expect(state.state == .running)
        #expect(state.executionId == "exec-1")
        #expect(state.namespace == "company.team")
        #expect(state.flowId == "flow")
        #expect(state.startedAt == "t0")
        #expect(!state.isTerminal)
    }

    @Test func anAttemptStartedOpensARunningTaskRunWithItsJobName() {
        let state = Events.fold([
            .executionStarted(Events.executionStarted()),
            .attemptStarted(Events.attemptStarted(attempt: 1, value: "v")),
        ])
        guard let run = state.taskRun("t1") else {
            Issue.record("no task run t1")
            return
        }
        #expect(run.state == .running)
        #expect(run.taskId == "t")
        #expect(run.value == "v")
        #expect(run.startedAt == "t1")
        #expect(run.jobName == "job-t1-a1")
        #expect(run.attempts.map(\.attempt) == [1])
        #expect(run.attempts.first?.workingDirId == "wd1")
        #expect(run.attempts.first?.provisioningModel == "SPOT")
    }

    @Test func taskRunsKeepTheOrderInWhichTheyBegan() {
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(taskRunId: "b[0]", attempt: 1)),
            .attemptStarted(Events.attemptStarted(taskRunId: "a", attempt: 1)),
            .attemptStarted(Events.attemptStarted(taskRunId: "b[0]", attempt: 2)),
        ])
        #expect(state.taskRuns.map(\.taskRunId) == ["b[0]", "a"])
        #expect(state.taskRuns[0].attempts.map(\.attempt) == [1, 2])
    }

    @Test func aRetriedFailureKeepsTheTaskRunRunningAndANewAttemptClearsTheExitCode() {
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)),
            .exitCodeObserved(ExitCodeObserved(taskRunId: "t1", attempt: 1, exitCode: 3, meaning: nil)),
            .taskFailed(Events.failed(attempt: 1, willRetry: true)),
            .attemptStarted(Events.attemptStarted(attempt: 2)),
        ])
        let run = state.taskRuns[0]
        #expect(run.state == .running)
        #expect(run.exitCode == nil)
        #expect(run.endedAt == nil)
        #expect(run.attempts.map(\.outcome) == [.failed, nil])
        #expect(run.attempts[0].exitCode == 3)
        #expect(run.jobName == "job-t1-a2")
    }

    @Test func aFinalFailureEndsTheTaskRunAndRecordsWhetherItWasAllowed() {
        let allowed = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)),
            .taskFailed(Events.failed(attempt: 1, willRetry: false, allowed: true)),
        ])
        #expect(allowed.taskRuns[0].state == .failed)
        #expect(allowed.taskRuns[0].allowedFailure)
        #expect(allowed.taskRuns[0].failureReason == "exit 1")
        #expect(allowed.taskRuns[0].endedAt == "t1")
        #expect(allowed.taskRuns[0].isTerminal)
    }

    @Test func aSucceededTaskRunTakesTheStateItEndedWith() {
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)),
            .taskSucceeded(TaskSucceeded(taskRunId: "t1", attempt: 1, state: .warning)),
        ])
        #expect(state.taskRuns[0].state == .warning)
        #expect(state.taskRuns[0].attempts[0].outcome == .warning)
    }

    @Test func aCancelledTaskRunKeepsTheReason() {
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)),
            .taskCancelled(TaskCancelled(taskRunId: "t1", attempt: 1, reason: "cancelled by the user")),
        ])
        #expect(state.taskRuns[0].state == .cancelled)
        #expect(state.taskRuns[0].failureReason == "cancelled by the user")
        #expect(state.taskRuns[0].attempts[0].outcome == .cancelled)
    }

    @Test func logLinesCountStoredUTF8BytesDroppedLinesStderrAndTheCursor() {
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)),
            .logLinesReceived(Events.lines(["héllo", "world"], dropped: 2)),
            .logLinesReceived(Events.lines(["oops"], stderr: true, dropped: 1, cursor: "2025-01-01T00:00:09Z")),
        ])
        #expect(state.storedLogBytes == 6 + 5 + 4)
        #expect(state.droppedLogLines == 3)
        let attempt = state.taskRuns[0].attempts[0]
        #expect(attempt.logLines == 3)
        #expect(attempt.stderrLines == 1)
        #expect(attempt.logCursorTime == "2025-01-01T00:00:09Z")
        #expect(attempt.logCursorInsertId == "insert-1")
    }

    @Test func outputsMergeWithTheLaterValueWinningAndMetricsAccumulate() {
        let metric = Metric(name: "rows", type: "counter", value: 1, tags: [:])
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)),
            .outputsParsed(
                OutputsParsed(
                    taskRunId: "t1", attempt: 1, vars: ["a": .number(1), "b": .string("x")], metrics: [metric],
                    warnings: [])),
            .outputsParsed(
                OutputsParsed(taskRunId: "t1", attempt: 1, vars: ["a": .number(2)], metrics: [metric], warnings: [])),
        ])
        #expect(state.taskRuns[0].vars == ["a": .number(2), "b": .string("x")])
        #expect(state.taskRuns[0].metrics == [metric, metric])
    }

    @Test func theAttemptRecordsEachStepOfTheWayOut() {
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)),
            .taskRendered(
                TaskRendered(
                    taskRunId: "t1", attempt: 1, containerImage: "i", commandsSHA256: "c", inputFiles: [:],
                    environmentNames: [], secretsUsed: [])),
            .jobCreateRequested(
                JobCreateRequested(taskRunId: "t1", attempt: 1, jobId: "j", requestId: "r", specSHA256: "s")),
            .jobCreated(JobCreated(taskRunId: "t1", attempt: 1, name: "projects/p/jobs/j", uid: "u", adopted: false)),
            .jobPolled(JobPolled(taskRunId: "t1", attempt: 1, state: "QUEUED", newStatusEvents: [])),
            .jobPolled(
                JobPolled(
                    taskRunId: "t1", attempt: 1, state: "RUNNING",
                    newStatusEvents: [
                        JobStatusChange(type: "a", description: nil, time: nil, taskState: nil, exitCode: nil),
                        JobStatusChange(type: "b", description: nil, time: nil, taskState: nil, exitCode: nil),
                    ])),
            .jobDeleteRequested(
                JobDeleteRequested(taskRunId: "t1", attempt: 1, name: "n", requestId: "r-delete", reason: "done")),
            .jobDeleted(JobDeleted(taskRunId: "t1", attempt: 1, name: "n", alreadyGone: false)),
            .stagingCleaned(StagingCleaned(taskRunId: "t1", attempt: 1, prefix: "wd1/", objectsDeleted: 2)),
            .reconciled(
                Reconciled(taskRunId: "t1", attempt: 1, recordedStep: "watching job", observed: "o", action: "a")),
        ])
        let attempt = state.taskRuns[0].attempts[0]
        #expect(attempt.rendered)
        #expect(attempt.createRequested)
        #expect(attempt.jobName == "projects/p/jobs/j")
        #expect(attempt.jobUid == "u")
        #expect(attempt.jobState == "RUNNING")
        #expect(attempt.polls == 2)
        #expect(attempt.statusEventsSeen == 2)
        #expect(attempt.deleteRequested && attempt.jobDeleted && attempt.stagingCleaned)
        #expect(attempt.reconciliations == 1)
    }

    @Test func downloadedAndRefusedOutputFilesAreKeptPerAttemptAndPerTaskRun() {
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)),
            .outputFileDownloaded(
                OutputFileDownloaded(
                    taskRunId: "t1", attempt: 1, name: "out/a.txt", object: "wd1/out/a.txt", localPath: "/o/a.txt",
                    size: 3, crc32c: "c")),
            .outputFileRefused(
                OutputFileRefused(taskRunId: "t1", attempt: 1, object: "wd1/../x", reason: "leaves the folder")),
        ])
        #expect(state.taskRuns[0].outputFiles == ["out/a.txt": "/o/a.txt"])
        #expect(state.taskRuns[0].attempts[0].downloaded == ["out/a.txt": "/o/a.txt"])
        #expect(state.taskRuns[0].refusedOutputFiles == ["wd1/../x": "leaves the folder"])
    }

    @Test func eventsOfATaskRunThatNeverStartedChangeNothing() {
        let start = Events.fold([.executionStarted(Events.executionStarted())])
        var state = start
        state.apply(.taskSucceeded(TaskSucceeded(taskRunId: "ghost", attempt: 1, state: .succeeded)), at: "t9")
        state.apply(
            .outputsParsed(OutputsParsed(taskRunId: "ghost", attempt: 1, vars: ["a": .null], metrics: [], warnings: [])),
            at: "t9")
        #expect(state == start)
    }

    @Test func anAdoptedTaskRunArrivesEndedWithItsParentsOutcome() {
        let state = Events.fold([
            .executionStarted(Events.executionStarted()),
            .taskAdopted(
                TaskAdopted(
                    taskRunId: "t1", taskId: "t", value: nil, fromExecution: "parent", parentSeq: 9, state: .warning,
                    vars: ["k": .string("v")], metrics: [], outputFiles: ["f": "/p/f"], exitCode: 0, jobId: "job")),
        ])
        let run = state.taskRuns[0]
        #expect(run.state == .warning)
        #expect(run.adoptedFrom == "parent")
        #expect(run.vars == ["k": .string("v")])
        #expect(run.outputFiles == ["f": "/p/f"])
        #expect(run.attempts.isEmpty)
        #expect(run.startedAt == "t1" && run.endedAt == "t1")
    }

    @Test func executionFinishedEndsTheExecutionAndRecoveryFailuresAndForksAreCounted() {
        let state = Events.fold([
            .executionStarted(Events.executionStarted()),
            .recoveryFailed(RecoveryFailed(reason: "refused", failures: 2, givenUp: false)),
            .executionForked(ExecutionForked(child: "child-1", fromTask: "t")),
            .executionFinished(ExecutionFinished(state: .warning)),
        ])
        #expect(state.state == .warning)
        #expect(state.isTerminal)
        #expect(state.endedAt == "t3")
        #expect(state.recoveryFailures == 2)
        #expect(state.forks == ["child-1"])
    }

    @Test func apiRetriesAreCountedOnTheirTaskRun() {
        let retry = APICallRetried(
            taskRunId: "t1", call: "jobs.get", failedAttempt: 1, status: 503, reason: "unavailable", delaySeconds: 1)
        var untied = retry
        untied.taskRunId = nil
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)), .apiCallRetried(retry), .apiCallRetried(retry),
            .apiCallRetried(untied),
        ])
        #expect(state.taskRuns[0].apiRetries == 2)
    }
}
