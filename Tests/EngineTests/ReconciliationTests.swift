import GoogleCloud
import Testing

@testable import Engine

/// Recovery's table: every step an interrupted attempt can have recorded, against every answer Batch or Cloud
/// Storage can give, decides the `Reconciled` event's texts and what recovery does next.
@Suite struct ReconciliationTests {
    typealias Recorded = Reconciliation.Recorded

    /// Every step the ledger can say an attempt was at, named as the table names them.
    static let rendered = Recorded()
    static let uploading = Recorded(uploadsRequested: 3, uploadsRecorded: 1)
    static let createRequested = Recorded(createRequested: true, uploadsRequested: 3, uploadsRecorded: 3)
    static let watching = Recorded(jobState: "RUNNING", jobCreated: true, createRequested: true)
    static let watchingUnpolled = Recorded(jobCreated: true, createRequested: true)
    static let ended = Recorded(jobState: "FAILED", jobCreated: true, createRequested: true)
    static let endedDeleting = Recorded(
        jobState: "SUCCEEDED", jobCreated: true, createRequested: true, deleteRequested: true)
    static let deletingWhileRunning = Recorded(
        jobState: "RUNNING", jobCreated: true, createRequested: true, deleteRequested: true)
    static let deletingUnpolled = Recorded(jobCreated: true, createRequested: true, deleteRequested: true)

    @Test(arguments: [
        (rendered, "rendered"), (uploading, "uploading (1 of 3 recorded)"),
        (createRequested, "job create requested"), (watching, "watching job"), (watchingUnpolled, "watching job"),
        (ended, "job ended FAILED"), (endedDeleting, "job ended SUCCEEDED"),
        (Recorded(jobState: "DELETION_IN_PROGRESS", jobCreated: true), "job ended DELETION_IN_PROGRESS"),
    ])
    func theRecordedStepNamesTheLastThingTheLedgerHolds(recorded: Recorded, step: String) {
        #expect(Reconciliation.recordedStep(recorded) == step)
    }

    @Test func recoveryAsksBatchOnceACreateWasRequestedAndStorageWhileUploading() {
        #expect(Reconciliation.question(Self.createRequested, bucket: "b") == .job)
        #expect(Reconciliation.question(Self.watching, bucket: nil) == .job)
        #expect(Reconciliation.question(Self.uploading, bucket: "b") == .objects(bucket: "b"))
        #expect(Reconciliation.question(Self.uploading, bucket: nil) == .nothing)
        #expect(Reconciliation.question(Self.rendered, bucket: "b") == .nothing)
    }

    /// The whole table: (recorded, observed) → (observed text, action, verdict). The recorded step text is
    /// checked above; it does not depend on what was observed.
    @Test(arguments: [
        // Nothing recorded outside the ledger: nothing to ask.
        (rendered, .nothingAsked, "nothing to ask", "continue", .proceed),
        (uploading, .nothingAsked, "nothing to ask", "continue", .proceed),
        // Uploads: count what arrived, upload the rest.
        (uploading, .objects(present: 2), "2 of 3 objects present", "upload the rest (create-only, CRC32C compared)",
            .proceed),
        (uploading, .objects(present: 0), "0 of 3 objects present", "upload the rest (create-only, CRC32C compared)",
            .proceed),
        // A create was requested but its answer not recorded.
        (createRequested, .job(.queued), "job QUEUED", "adopt the job and watch it", .proceed),
        (createRequested, .job(.running), "job RUNNING", "adopt the job and watch it", .proceed),
        (createRequested, .job(.succeeded), "job SUCCEEDED", "collect the results", .proceed),
        (createRequested, .noJob, "no such job", "create it (same job id and request id)", .proceed),
        // The job was created and watched.
        (watching, .job(.scheduled), "job SCHEDULED", "watch it from the stored log cursor", .proceed),
        (watching, .job(.running), "job RUNNING", "watch it from the stored log cursor", .proceed),
        (watching, .job(.failed), "job FAILED", "collect the results", .proceed),
        (watching, .job(.cancelled), "job CANCELLED", "collect the results", .proceed),
        (watching, .noJob, "job unknown to Batch (deleted, or expired)",
            "fail the attempt; the task's retry policy decides", .jobVanished),
        (watchingUnpolled, .noJob, "job unknown to Batch (deleted, or expired)",
            "fail the attempt; the task's retry policy decides", .jobVanished),
        // The job's end was recorded: conclude with the recorded state whatever Batch says now.
        (ended, .job(.failed), "job FAILED", "collect the results", .conclude(.failed)),
        (ended, .noJob, "job already deleted", "finish the teardown", .conclude(.failed)),
        (endedDeleting, .noJob, "job already deleted", "finish the teardown", .conclude(.succeeded)),
        (endedDeleting, .job(.deletionInProgress), "job DELETION_IN_PROGRESS", "collect the results",
            .conclude(.succeeded)),
        // A delete was requested while the job ran (cancel or timeout), then the process died.
        (deletingWhileRunning, .noJob, "job already deleted", "finish the teardown", .proceed),
        (deletingWhileRunning, .job(.running), "job RUNNING", "watch it from the stored log cursor", .proceed),
        // ... before any poll was recorded: the job reads as gone.
        (deletingUnpolled, .noJob, "job unknown to Batch (deleted, or expired)",
            "fail the attempt; the task's retry policy decides", .jobVanished),
    ] as [(Recorded, Reconciliation.Observed, String, String, Reconciliation.Verdict)])
    func theTableDecidesTheObservedTextTheActionAndTheVerdict(
        recorded: Recorded, observed: Reconciliation.Observed, text: String, action: String,
        verdict: Reconciliation.Verdict
    ) {
        let decision = Reconciliation.decide(recorded: recorded, observed: observed)
        #expect(decision.observed == text)
        #expect(decision.action == action)
        #expect(decision.verdict == verdict)
        #expect(decision.recordedStep == Reconciliation.recordedStep(recorded))
    }

    static let everyJobState: [JobState] = JobState.names.map(JobState.init(name:)) + [.unknown("SOMETHING_NEW")]

    @Test(arguments: everyJobState)
    func everyObservedJobStateIsNamedAndDecidesBetweenCollectingAndWatching(state: JobState) {
        for recorded in [Self.createRequested, Self.watching] {
            let decision = Reconciliation.decide(recorded: recorded, observed: .job(state))
            #expect(decision.observed == "job \(state.name)")
            let watch = recorded.jobCreated ? "watch it from the stored log cursor" : "adopt the job and watch it"
            let terminal = [JobState.succeeded, .failed, .cancelled, .deletionInProgress].contains(state)
            #expect(decision.action == (terminal ? "collect the results" : watch))
            #expect(decision.verdict == .proceed)
        }
    }

    @Test(arguments: everyJobState)
    func everyRecordedTerminalStateIsConcludedAndNoOtherIs(state: JobState) {
        let recorded = Recorded(jobState: state.name, jobCreated: true, createRequested: true)
        let decision = Reconciliation.decide(recorded: recorded, observed: .noJob)
        if state.isTerminal {
            #expect(decision.recordedStep == "job ended \(state.name)")
            #expect(decision.verdict == .conclude(state))
        } else {
            #expect(decision.recordedStep == "watching job")
            #expect(decision.verdict == .jobVanished)
        }
    }

    @Test func theRecordedSideIsReadFromTheFoldedAttempt() {
        let state = Events.fold([
            .attemptStarted(Events.attemptStarted(attempt: 1)),
            .uploadRequested(
                UploadRequested(
                    taskRunId: "t1", attempt: 1, bucket: "b",
                    objects: ["a", "b"].map { StagedObject(object: $0, size: 1, crc32c: "c") })),
            .fileUploaded(
                FileUploaded(taskRunId: "t1", attempt: 1, object: "a", generation: 1, size: 1, crc32c: "c")),
            .jobCreateRequested(
                JobCreateRequested(taskRunId: "t1", attempt: 1, jobId: "j", requestId: "r", specSHA256: "s")),
        ])
        let attempt = state.taskRuns[0].attempts[0]
        #expect(
            Reconciliation.Recorded(attempt)
                == Recorded(createRequested: true, uploadsRequested: 2, uploadsRecorded: 1))
    }
}
