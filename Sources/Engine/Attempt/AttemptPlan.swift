import Foundation
import GoogleCloud
import Templates

/// Everything one attempt of a script task needs, rendered: the job to create, what to stage, what to collect.
/// It may hold secret values (in `job`): it is never recorded, only digests of it are.
public struct AttemptPlan: Sendable {
    /// A file to put into the working directory before the job starts.
    public struct Upload: Sendable {
        public enum Source: Sendable {
            case data(Data)
            case file(URL)
        }

        /// The path relative to the working directory.
        public var name: String
        public var source: Source

        public init(name: String, source: Source) {
            self.name = name
            self.source = source
        }
    }

    public var started: AttemptStarted
    public var rendered: TaskRendered
    public var location: BatchLocation
    public var job: BatchJob
    public var uploads: [Upload]
    /// What to download from the working directory, and under which keys.
    public var collection: OutputCollection
    /// Where this attempt's output files go locally.
    public var outputFolder: URL
    /// Delete the job on success, and the bucket folder in every case.
    public var deleteWhenDone: Bool
    /// The client-side deadline of the watch (the job itself gets `maxRunDuration`).
    public var timeout: Duration
    /// The first poll interval; polls back off from it to `maxPollInterval`.
    public var pollInterval: Duration
    public var maxPollInterval: Duration
    /// How long to keep reading logs after the job ended, for late entries.
    public var logGrace: Duration
    public var warningOnStdErr: Bool
    /// Masks secret values in log lines and messages.
    public var mask: @Sendable (String) -> String
    /// `resume`: whether recovery reattaches to an interrupted attempt's job (false: it is deleted and the task runs
    /// again as a new attempt).
    public var resumeJobs: Bool

    public init(
        started: AttemptStarted, rendered: TaskRendered, location: BatchLocation, job: BatchJob, uploads: [Upload],
        collection: OutputCollection, outputFolder: URL,
        deleteWhenDone: Bool, timeout: Duration, pollInterval: Duration, maxPollInterval: Duration,
        logGrace: Duration, warningOnStdErr: Bool, mask: @escaping @Sendable (String) -> String,
        resumeJobs: Bool = true
    ) {
        self.started = started
        self.rendered = rendered
        self.location = location
        self.job = job
        self.uploads = uploads
        self.collection = collection
        self.outputFolder = outputFolder
        self.deleteWhenDone = deleteWhenDone
        self.timeout = timeout
        self.pollInterval = pollInterval
        self.maxPollInterval = maxPollInterval
        self.logGrace = logGrace
        self.warningOnStdErr = warningOnStdErr
        self.mask = mask
        self.resumeJobs = resumeJobs
    }

    public var taskRunId: String { started.taskRunId }
    public var attempt: Int { started.attempt }
    public var prefix: String { started.workingDirId + "/" }
    /// The output directory's placeholder object (`<wid>/<oid>/`), created before the job as Kestra's runner does,
    /// so that the folder exists in the bucket (and in the container's mount) from the start.
    public var outputPlaceholder: String? {
        collection.outputDirectory.map { prefix + $0 + "/" }
    }
    public var jobName: String { location.jobName(started.jobId) }

    /// The job's name as events record it: the project masked whole when a secret named it, the region (rendered
    /// text) masked like any text; the job id is the engine's own and never masked.
    public var recordedJobName: String {
        let project = started.projectSecret == nil ? location.project : SecretMasker.mask(for: location.project)
        return BatchLocation(project: project, region: mask(location.region)).jobName(started.jobId)
    }

    /// The bucket as events record it: masked whole when a secret named it.
    public var recordedBucket: String? {
        guard let bucket = started.bucket else { return nil }
        return started.bucketSecret == nil ? bucket : SecretMasker.mask(for: bucket)
    }
}

/// How an attempt ended.
public enum AttemptOutcome: Sendable, Equatable {
    /// SUCCEEDED or WARNING.
    case succeeded(state: RunState)
    case failed(reason: String, exitCode: Int?, preempted: Bool)
    case cancelled(reason: String)
    /// Recovery did not continue the attempt (`resume: false`): its job was deleted and the task runs again as a
    /// new attempt, whatever its retry policy.
    case replaced(reason: String)
}
