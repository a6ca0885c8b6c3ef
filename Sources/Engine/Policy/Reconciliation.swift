import GoogleCloud

/// Recovery's table for an interrupted attempt: from the step the ledger recorded and what Batch or Cloud Storage
/// answered, the texts of the `Reconciled` event and what recovery does next. Pure: the questions are asked by
/// `AttemptRunner`, the answers decided here.
enum Reconciliation {
    /// What the ledger recorded of the attempt, as far as recovery cares.
    struct Recorded: Equatable, Sendable {
        /// The job's last polled state, if any.
        var jobState: String?
        /// Whether `JobCreated` was recorded.
        var jobCreated: Bool
        var createRequested: Bool
        /// Objects named by `UploadRequested`, and how many `FileUploaded` followed.
        var uploadsRequested: Int
        var uploadsRecorded: Int
        var deleteRequested: Bool

        init(
            jobState: String? = nil, jobCreated: Bool = false, createRequested: Bool = false,
            uploadsRequested: Int = 0, uploadsRecorded: Int = 0, deleteRequested: Bool = false
        ) {
            self.jobState = jobState
            self.jobCreated = jobCreated
            self.createRequested = createRequested
            self.uploadsRequested = uploadsRequested
            self.uploadsRecorded = uploadsRecorded
            self.deleteRequested = deleteRequested
        }

        /// What `state` holds.
        init(_ state: AttemptState) {
            self.init(
                jobState: state.jobState, jobCreated: state.jobName != nil, createRequested: state.createRequested,
                uploadsRequested: state.uploadRequested.count,
                uploadsRecorded: state.uploadRequested.filter { state.uploaded[$0] != nil }.count,
                deleteRequested: state.deleteRequested)
        }

        /// Whether the recorded job state is one Batch never leaves.
        var jobEnded: Bool { jobState.map { JobState(name: $0).isTerminal } ?? false }
    }

    /// What recovery must ask before deciding.
    enum Question: Equatable, Sendable {
        /// Ask Batch for the job (it was created, or its creation requested).
        case job
        /// Count which of the requested objects are in `bucket`.
        case objects(bucket: String)
        /// Nothing outside can tell more than the ledger.
        case nothing
    }

    /// What the outside world answered.
    enum Observed: Equatable, Sendable {
        /// Nothing was asked.
        case nothingAsked
        /// Batch knows the job, in this state.
        case job(JobState)
        /// Batch does not know the job.
        case noJob
        /// This many of the requested objects are in the bucket.
        case objects(present: Int)
    }

    /// What recovery does with the attempt.
    enum Verdict: Equatable, Sendable {
        /// Continue the attempt's steps from where they are.
        case proceed
        /// The job Batch created is gone: the attempt failed; the task's retry policy decides what follows.
        case jobVanished
        /// The ledger recorded the job's end: collect and tear down with that state.
        case conclude(JobState)
    }

    /// The `Reconciled` event's texts and the verdict.
    struct Decision: Equatable, Sendable {
        var recordedStep: String
        var observed: String
        var action: String
        var verdict: Verdict
    }

    /// The `Reconciled` action of an attempt that `resume: false` does not continue.
    static let replaceAction = "delete the job and run the task again as a new attempt (resume is false)"

    /// Whether `resume: false` replaces the interrupted attempt: a job may exist for it (created, or its creation
    /// requested) and the ledger has not seen it end or started deleting it. Kestra's runner never reattaches to a
    /// job then; a job whose end was recorded is collected as usual, since nothing is reattached to.
    static func replaces(_ recorded: Recorded) -> Bool {
        (recorded.jobCreated || recorded.createRequested) && !recorded.jobEnded && !recorded.deleteRequested
    }

    /// The `Reconciled` event's texts for an attempt that `resume: false` replaces.
    static func replacement(_ recorded: Recorded) -> Decision {
        Decision(
            recordedStep: recordedStep(recorded), observed: "not asked: resume is false, no job is reattached",
            action: replaceAction, verdict: .proceed)
    }

    /// What to ask, given what is recorded and the attempt's staging bucket.
    static func question(_ recorded: Recorded, bucket: String?) -> Question {
        if recorded.jobCreated || recorded.createRequested { return .job }
        if recorded.uploadsRequested > 0, let bucket { return .objects(bucket: bucket) }
        return .nothing
    }

    /// The step the ledger says the attempt was at.
    static func recordedStep(_ recorded: Recorded) -> String {
        if let jobState = recorded.jobState, recorded.jobEnded { return "job ended \(jobState)" }
        if recorded.jobCreated { return "watching job" }
        if recorded.createRequested { return "job create requested" }
        if recorded.uploadsRequested > 0 {
            return "uploading (\(recorded.uploadsRecorded) of \(recorded.uploadsRequested) recorded)"
        }
        return "rendered"
    }

    /// The row of the table for `recorded` and `observed`.
    static func decide(recorded: Recorded, observed: Observed) -> Decision {
        let observedText: String
        let action: String
        var verdict = Verdict.proceed
        switch observed {
        case .nothingAsked:
            observedText = "nothing to ask"
            action = "continue"
        case .job(let state):
            observedText = "job \(state.name)"
            action =
                state.isTerminal
                ? "collect the results"
                : (recorded.jobCreated ? "watch it from the stored log cursor" : "adopt the job and watch it")
        case .noJob:
            // A recorded delete counts only after a recorded poll (a job deleted before its first poll is gone).
            if recorded.jobState != nil && (recorded.jobEnded || recorded.deleteRequested) {
                observedText = "job already deleted"
                action = "finish the teardown"
            } else if recorded.jobCreated {
                observedText = "job unknown to Batch (deleted, or expired)"
                action = "fail the attempt; the task's retry policy decides"
                verdict = .jobVanished
            } else {
                observedText = "no such job"
                action = "create it (same job id and request id)"
            }
        case .objects(let present):
            observedText = "\(present) of \(recorded.uploadsRequested) objects present"
            action = "upload the rest (create-only, CRC32C compared)"
        }
        if verdict == .proceed, let jobState = recorded.jobState, recorded.jobEnded {
            verdict = .conclude(JobState(name: jobState))
        }
        return Decision(
            recordedStep: recordedStep(recorded), observed: observedText, action: action, verdict: verdict)
    }
}
