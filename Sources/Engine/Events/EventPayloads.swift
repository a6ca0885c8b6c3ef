import Foundation
import Ledger
import Templates

/// Where an execution's Google calls go.
public struct Backend: Codable, Sendable, Equatable {
    public var kind: BackendKind
    /// The base URL for `.endpoint` (and, informationally, for `.local`).
    public var endpoint: String?

    public init(kind: BackendKind, endpoint: String?) {
        self.kind = kind
        self.endpoint = endpoint
    }
}

/// A value that is a secret's reference: its name and a keyed digest of its value, never the value.
///
/// The digest is HMAC-SHA256 under the ledger's own key (`EventStore.secretDigestKey()`), so that nobody can
/// confirm a guessed value (a project id, a bucket name) from the ledger alone. Events recorded before keyed
/// digests hold the plain SHA-256 instead (`sha256`): it is still read and compared, never written again.
public struct SecretReference: Codable, Sendable, Hashable {
    public var name: String
    /// Lower-case hex HMAC-SHA256 of the value's UTF-8 bytes under the ledger's secret-digest key.
    public private(set) var hmacSHA256: String?
    /// Lower-case hex SHA-256 of the value, in events recorded by earlier versions only.
    public private(set) var sha256: String?

    /// A reference for secret `name` whose keyed digest is `hmacSHA256`.
    public init(name: String, hmacSHA256: String) {
        self.name = name
        self.hmacSHA256 = hmacSHA256
        self.sha256 = nil
    }

    /// The reference of `use` in a ledger whose secret-digest key is `key`.
    public init(_ use: SecretUse, key: SecretDigestKey) {
        self.init(name: use.name, hmacSHA256: use.digest(using: key.hmacSHA256))
    }

    /// Whether `use` is the same secret with the same value as the one this recorded reference names, under the
    /// ledger's `key` (or, for a reference recorded before keyed digests, by the value's plain SHA-256).
    public func matches(_ use: SecretUse, key: SecretDigestKey) -> Bool {
        guard use.name == name.uppercased() else { return false }
        if let hmacSHA256 {
            return use.digest(using: key.hmacSHA256) == hmacSHA256
        }
        if let sha256 {
            return use.digest(using: { SHA256Digest.of($0).hex }) == sha256.lowercased()
        }
        return false
    }
}

/// The first event: everything needed to continue the execution without the command line.
public struct ExecutionStarted: Codable, Sendable, Equatable {
    public var executionId: String
    public var namespace: String
    public var flowId: String
    public var flowRevision: Int?
    /// The flow file's path as given, and its full text.
    public var flowPath: String
    public var flowSource: String
    public var flowSHA256: String
    public var inputs: [String: EventValue]
    public var labels: [String: String]
    public var backend: Backend
    /// Where output files are downloaded (absolute).
    public var outputDirectory: String
    public var namespaceFilesDirectory: String?
    /// Namespace file path → SHA-256 of its content, as they were when the execution started.
    public var namespaceFileDigests: [String: String]
    /// The parent execution, for a fork.
    public var forkedFrom: String?
    /// Who asked for the execution (a server's caller); nil when a command line started it.
    public var requestedBy: String?
    /// The execution whose Subflow task started this one, and that task run.
    public var parentExecutionId: String? = nil
    public var parentTaskRunId: String? = nil
    /// For an execution a schedule trigger started: its `trigger` variables (`date`, `next`, `previous`).
    public var trigger: [String: String]? = nil
    /// The files given for FILE inputs, by input (absent when there are none).
    public var inputFiles: [String: InputFileRecord]? = nil
    /// A fork's changes from its parent (absent for an execution that is not a fork).
    public var forkChanges: ForkChanges? = nil
}

/// What a fork changed from its parent: where it starts again, and what it runs with that the parent did not.
public struct ForkChanges: Codable, Sendable, Equatable {
    /// The task run (or task) the fork runs again from, as asked: `task`, `task[value]` or a nested task's id.
    public var from: String
    /// Inputs whose value differs from the parent's.
    public var inputsChanged: [String]
    /// The parent's flow revision and digest, when the fork runs another flow text.
    public var parentFlowRevision: Int?
    public var parentFlowSHA256: String?

    public init(from: String, inputsChanged: [String], parentFlowRevision: Int?, parentFlowSHA256: String?) {
        self.from = from
        self.inputsChanged = inputsChanged
        self.parentFlowRevision = parentFlowRevision
        self.parentFlowSHA256 = parentFlowSHA256
    }
}

/// A task attempt begins: its identity and the names of everything it will create, before anything exists.
public struct AttemptStarted: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var taskId: String
    /// ForEach iteration value, if any.
    public var value: String?
    public var attempt: Int
    /// The working-directory id: `/<wid>` in the container, `<wid>/` in the bucket.
    public var workingDirId: String
    public var jobId: String
    public var requestId: String
    public var project: String
    public var projectSecret: SecretReference?
    public var region: String
    public var bucket: String?
    public var bucketSecret: SecretReference?
    public var provisioningModel: String
    /// The output directory's id (`outputDirectory: true`): `/<wid>/<oid>` in the container, `<wid>/<oid>/` in the
    /// bucket, decided with the working directory and recorded before anything is created. Nil when the task has
    /// no output directory (and in events recorded before it was recorded; it is then derived from `workingDirId`).
    public var outputDirId: String? = nil
    /// The service account the task's calls impersonate (`impersonatedServiceAccount`), masked whole when a secret
    /// named it; nil when the task acts as its own credentials.
    public var impersonatedServiceAccount: String? = nil
}

/// The task's templates were rendered: digests only.
public struct TaskRendered: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var containerImage: String
    public var commandsSHA256: String
    /// Input file name → SHA-256 of its content.
    public var inputFiles: [String: String]
    public var environmentNames: [String]
    public var secretsUsed: [SecretReference]
}

/// One object to stage.
public struct StagedObject: Codable, Sendable, Equatable {
    public var object: String
    public var size: Int64
    public var crc32c: String
}

public struct UploadRequested: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var bucket: String
    public var objects: [StagedObject]
}

public struct FileUploaded: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var object: String
    public var generation: Int64
    public var size: Int64
    public var crc32c: String
}

public struct JobCreateRequested: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var jobId: String
    public var requestId: String
    public var specSHA256: String
}

public struct JobCreated: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var name: String
    public var uid: String
    /// True when the job existed already (an earlier create whose answer was lost) and was adopted.
    public var adopted: Bool
}

/// A status event of the job or its task, as Batch wrote it.
public struct JobStatusChange: Codable, Sendable, Equatable {
    public var type: String?
    public var description: String?
    public var time: String?
    public var taskState: String?
    public var exitCode: Int?
}

/// One poll: the state and only the status events not seen before.
public struct JobPolled: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var state: String
    public var newStatusEvents: [JobStatusChange]
}

/// A log line, masked, with its original time and severity.
public struct LogLine: Codable, Sendable, Equatable {
    public var time: String
    public var severity: String
    public var text: String
    /// Whether the line came from stderr (Batch writes stderr at ERROR severity).
    public var stderr: Bool
}

public struct LogLinesReceived: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var lines: [LogLine]
    /// Lines past the per-execution cap: counted, not stored.
    public var droppedLines: Int
    /// The read position after these lines.
    public var cursorTime: String
    public var cursorInsertId: String
}

/// A metric from the script output protocol.
public struct Metric: Codable, Sendable, Equatable {
    public var name: String
    /// counter, timer or gauge.
    public var type: String
    public var value: Double
    public var tags: [String: String]
}

/// What the script printed in `::{…}::` lines.
public struct OutputsParsed: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var vars: [String: EventValue]
    public var metrics: [Metric]
    /// Problems such as invalid JSON in a protocol line.
    public var warnings: [String]
}

public struct ExitCodeObserved: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var exitCode: Int
    /// Batch's meaning for its reserved codes (50001 preempted …).
    public var meaning: String?
}

public struct OutputFileDownloaded: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    /// The key in `outputFiles` and the path under the task run's output folder: relative to the output directory
    /// for a file written there (`{{ outputDir }}/a.txt` is `a.txt`, as in Kestra), else relative to the working
    /// directory.
    public var name: String
    public var object: String
    public var localPath: String
    public var size: Int64
    public var crc32c: String
}

public struct JobDeleteRequested: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var name: String
    public var requestId: String
    public var reason: String
}

public struct JobDeleted: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var name: String
    /// True when Batch no longer knew the job.
    public var alreadyGone: Bool
}

public struct StagingCleaned: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var prefix: String
    public var objectsDeleted: Int
}

/// A Google call that failed transiently and is being retried.
public struct APICallRetried: Codable, Sendable, Equatable {
    public var taskRunId: String?
    public var call: String
    public var failedAttempt: Int
    public var status: Int?
    public var reason: String
    public var delaySeconds: Double
}

public struct TaskSucceeded: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    /// SUCCEEDED or WARNING.
    public var state: RunState
}

public struct TaskFailed: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var reason: String
    public var exitCode: Int?
    /// Whether another attempt follows.
    public var willRetry: Bool
    /// Whether the flow goes on anyway (`allowFailure`).
    public var allowed: Bool
}

public struct TaskCancelled: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    public var reason: String
}

public struct ExecutionFinished: Codable, Sendable, Equatable {
    /// SUCCEEDED, WARNING, FAILED or CANCELLED.
    public var state: RunState
    /// Who asked to kill the execution (a server's caller), for a CANCELLED one that someone killed.
    public var requestedBy: String?

    public init(state: RunState, requestedBy: String? = nil) {
        self.state = state
        self.requestedBy = requestedBy
    }
}

/// What recovery found outside when it resumed an attempt.
public struct Reconciled: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    /// The step the ledger said the attempt was at (e.g. "job create requested", "watching").
    public var recordedStep: String
    /// What Batch and Cloud Storage said (e.g. "job RUNNING", "job unknown to Batch", "2 of 2 objects present").
    public var observed: String
    /// What recovery does next.
    public var action: String
}

/// Recovery of an execution failed this time; it is retried on the next `recover`, up to a cap.
public struct RecoveryFailed: Codable, Sendable, Equatable {
    public var reason: String
    /// How many recoveries have failed so far, this one included.
    public var failures: Int
    /// True when the cap was reached and the execution is given up (marked FAILED).
    public var givenUp: Bool
}

/// A fork takes a task run's outcome from its parent execution instead of running it again.
public struct TaskAdopted: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var taskId: String
    public var value: String?
    public var fromExecution: String
    /// The parent's event that ended the task run (its global seq when the fork was made).
    public var parentSeq: Int64
    public var state: RunState
    public var vars: [String: EventValue]
    public var metrics: [Metric]
    public var outputFiles: [String: String]
    public var exitCode: Int?
    public var jobId: String?
    /// The type of a core or flowable task run (its outputs sit at the top of `outputs.ID`); nil for a script's.
    public var type: String? = nil
}

/// Recorded in the parent: an execution was forked from it.
public struct ExecutionForked: Codable, Sendable, Equatable {
    public var child: String
    public var fromTask: String
    /// Who asked for the fork (a server's caller); nil when a command line forked it.
    public var requestedBy: String?
    /// Inputs the fork runs with other values (absent when none changed).
    public var inputsChanged: [String]?
    /// The fork's flow digest and revision, when it runs another flow text than this execution (absent otherwise).
    public var flowSHA256: String?
    public var flowRevision: Int?

    public init(
        child: String, fromTask: String, requestedBy: String? = nil, inputsChanged: [String]? = nil,
        flowSHA256: String? = nil, flowRevision: Int? = nil
    ) {
        self.child = child
        self.fromTask = fromTask
        self.requestedBy = requestedBy
        self.inputsChanged = inputsChanged
        self.flowSHA256 = flowSHA256
        self.flowRevision = flowRevision
    }
}

/// An object the job wrote under its working directory that was not downloaded: its name would not make a file
/// inside the task run's output folder (a `..`, `.` or empty segment, a leading `/`, a backslash, a control
/// character), or a folder on the way already exists as a symbolic link or a file.
public struct OutputFileRefused: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var attempt: Int
    /// The object's full name in the bucket, as listed.
    public var object: String
    public var reason: String
}
