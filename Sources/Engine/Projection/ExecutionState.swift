import Foundation
import GoogleCloud
import Ledger

/// The state of one execution: a pure fold over its events (`apply`), with no I/O. `show`, recovery and the
/// running engine all read this same fold.
public struct ExecutionState: Codable, Sendable, Equatable {
    public var executionId: String = ""
    public var namespace: String = ""
    public var flowId: String = ""
    /// RUNNING until `ExecutionFinished`; then SUCCEEDED, WARNING, FAILED or CANCELLED.
    public var state: RunState = .created
    public var startedAt: String?
    public var endedAt: String?
    public var started: ExecutionStarted?
    /// Task runs in the order they began.
    public var taskRuns: [TaskRunState] = [] {
        didSet { if !positions.folding { positions.isValid = false } }
    }
    /// Where each task run is in `taskRuns`, so that folding an event costs the same whatever the number of runs.
    private var positions = TaskRunPositions()
    public var storedLogBytes: Int = 0
    public var droppedLogLines: Int = 0
    /// Failed recovery attempts so far.
    public var recoveryFailures: Int = 0
    /// Executions forked from this one.
    public var forks: [String] = []
    /// The final state decided before `afterExecution` ran (`ExecutionEnding`); nil before, or without one.
    public var ending: RunState?
    /// The flow's outputs (id → value), once the execution is ending.
    public var outputs: [String: EventValue] = [:]
    /// Where the execution stands against its flow's concurrency limit (nil: not limited, or it had a slot at once).
    public var concurrency: ConcurrencyStanding?
    /// FILE inputs whose upload was asked: input → object.
    public var inputFileObjects: [String: String] = [:]
    /// FILE inputs whose file is stored in the bucket.
    public var inputFilesStored: Set<String> = []
    public var lastSeq: Int64 = 0
    public var version: Int64 = 0

    public init() {}

    public var isTerminal: Bool { state.isTerminal }

    public func taskRun(_ id: String) -> TaskRunState? {
        taskRunPosition(id).map { taskRuns[$0] }
    }

    /// The index of task run `id` in `taskRuns`.
    public func taskRunPosition(_ id: String) -> Int? {
        guard positions.isValid else { return taskRuns.firstIndex { $0.taskRunId == id } }
        return positions.byId[id]
    }

    /// Folds one recorded event. An event this version cannot read (an unknown type, a newer schema) is an error:
    /// skipping it would fold a state that never was.
    public mutating func apply(_ recorded: RecordedEvent) throws {
        apply(recorded, decoded: try ExecutionEvent.decode(recorded))
    }

    /// Folds one recorded event that the caller has decoded already (`ExecutionEvent.decode(recorded)`).
    public mutating func apply(_ recorded: RecordedEvent, decoded event: ExecutionEvent) {
        lastSeq = recorded.seq
        version = recorded.version
        apply(event, at: recorded.recordedAt)
    }

    /// Folds one event recorded at `time`.
    public mutating func apply(_ event: ExecutionEvent, at time: String) {
        switch event {
        case .executionStarted(let started):
            self.started = started
            executionId = started.executionId
            namespace = started.namespace
            flowId = started.flowId
            state = .running
            startedAt = time
        case .attemptStarted(let attempt):
            var run =
                taskRun(attempt.taskRunId)
                ?? TaskRunState(taskRunId: attempt.taskRunId, taskId: attempt.taskId, value: attempt.value)
            run.state = .running
            run.startedAt = run.startedAt ?? time
            run.attempts.append(AttemptState(started: attempt, at: time))
            run.jobName = attempt.jobId
            run.exitCode = nil
            upsert(run)
        case .taskRendered(let rendered):
            updateAttempt(rendered.taskRunId, rendered.attempt) { $0.rendered = true }
        case .uploadRequested(let request):
            updateAttempt(request.taskRunId, request.attempt) { $0.uploadRequested = request.objects.map(\.object) }
        case .fileUploaded(let file):
            updateAttempt(file.taskRunId, file.attempt) { $0.uploaded[file.object] = file.crc32c }
        case .jobCreateRequested(let request):
            updateAttempt(request.taskRunId, request.attempt) { $0.createRequested = true }
        case .jobCreated(let created):
            updateAttempt(created.taskRunId, created.attempt) {
                $0.jobName = created.name
                $0.jobUid = created.uid
            }
        case .jobPolled(let poll):
            updateAttempt(poll.taskRunId, poll.attempt) {
                $0.jobState = poll.state
                $0.statusEventsSeen += poll.newStatusEvents.count
                $0.polls += 1
            }
        case .logLinesReceived(let lines):
            updateAttempt(lines.taskRunId, lines.attempt) {
                $0.logCursorTime = lines.cursorTime
                $0.logCursorInsertId = lines.cursorInsertId
                $0.logLines += lines.lines.count
                $0.stderrLines += lines.lines.filter(\.stderr).count
            }
            updateRun(lines.taskRunId) { run in
                if run.type != nil { run.loggedLines += lines.lines.count }
            }
            storedLogBytes += lines.lines.reduce(0) { $0 + $1.text.utf8.count }
            droppedLogLines += lines.droppedLines
        case .outputsParsed(let outputs):
            updateRun(outputs.taskRunId) { run in
                run.vars.merge(outputs.vars) { _, new in new }
                run.metrics += outputs.metrics
            }
        case .exitCodeObserved(let observed):
            updateAttempt(observed.taskRunId, observed.attempt) { $0.exitCode = observed.exitCode }
            updateRun(observed.taskRunId) { $0.exitCode = observed.exitCode }
        case .outputFileDownloaded(let file):
            updateAttempt(file.taskRunId, file.attempt) {
                $0.downloaded[file.name] = file.localPath
                $0.downloads[file.name] = file
            }
            updateRun(file.taskRunId) { $0.outputFiles[file.name] = file.localPath }
        case .outputFileKept(let kept):
            updateAttempt(kept.taskRunId, kept.attempt) { $0.kept[kept.name] = kept.object }
        case .jobDeleteRequested(let request):
            updateAttempt(request.taskRunId, request.attempt) { $0.deleteRequested = true }
        case .jobDeleted(let deleted):
            updateAttempt(deleted.taskRunId, deleted.attempt) { $0.jobDeleted = true }
        case .stagingCleaned(let cleaned):
            updateAttempt(cleaned.taskRunId, cleaned.attempt) { $0.stagingCleaned = true }
        case .apiCallRetried(let retry):
            if let id = retry.taskRunId { updateRun(id) { $0.apiRetries += 1 } }
        case .taskSucceeded(let success):
            updateAttempt(success.taskRunId, success.attempt) { $0.outcome = success.state }
            updateRun(success.taskRunId) {
                $0.state = success.state
                $0.endedAt = time
            }
        case .taskFailed(let failure):
            updateAttempt(failure.taskRunId, failure.attempt) {
                $0.outcome = .failed
                $0.failureReason = failure.reason
            }
            updateRun(failure.taskRunId) {
                $0.failureReason = failure.reason
                if !failure.willRetry {
                    $0.state = .failed
                    $0.allowedFailure = failure.allowed
                    $0.endedAt = time
                }
            }
        case .taskCancelled(let cancelled):
            updateAttempt(cancelled.taskRunId, cancelled.attempt) { $0.outcome = .cancelled }
            updateRun(cancelled.taskRunId) {
                $0.state = .cancelled
                $0.failureReason = cancelled.reason
                $0.endedAt = time
            }
        case .executionFinished(let finished):
            state = finished.state
            endedAt = time
        case .reconciled(let reconciled):
            updateAttempt(reconciled.taskRunId, reconciled.attempt) {
                $0.reconciliations += 1
                if reconciled.action == Reconciliation.replaceAction { $0.replacing = true }
            }
        case .recoveryFailed(let failure):
            recoveryFailures = failure.failures
        case .taskAdopted(let adopted):
            var run = TaskRunState(taskRunId: adopted.taskRunId, taskId: adopted.taskId, value: adopted.value)
            run.state = adopted.state
            run.vars = adopted.vars
            run.metrics = adopted.metrics
            run.outputFiles = adopted.outputFiles
            run.exitCode = adopted.exitCode
            run.jobName = adopted.jobId
            run.adoptedFrom = adopted.fromExecution
            run.type = adopted.type
            run.startedAt = time
            run.endedAt = time
            upsert(run)
        case .executionForked(let fork):
            forks.append(fork.child)
        case .taskStarted(let started):
            var run =
                taskRun(started.taskRunId)
                ?? TaskRunState(taskRunId: started.taskRunId, taskId: started.taskId, value: started.value)
            run.state = .running
            run.startedAt = run.startedAt ?? time
            run.type = started.type
            run.parentTaskRunId = started.parentTaskRunId
            run.branch = started.branch
            upsert(run)
        case .executionEnding(let ending):
            self.ending = ending.state
            outputs = ending.outputs
        case .subflowStarted(let subflow):
            updateRun(subflow.taskRunId) { $0.childExecutionId = subflow.childExecutionId }
        case .concurrencyQueued:
            concurrency = .queued
        case .concurrencySlotTaken:
            concurrency = .running
        case .concurrencyRefused(let refused):
            concurrency = refused.behavior == "FAIL" ? .refusedFailed : .refusedCancelled
        case .inputFileUploadRequested(let request):
            inputFileObjects[request.input] = request.object
        case .inputFileUploaded(let uploaded):
            inputFilesStored.insert(uploaded.input)
        case .outputFileRefused(let refused):
            updateAttempt(refused.taskRunId, refused.attempt) { $0.refusedOutputs[refused.object] = refused.reason }
            updateRun(refused.taskRunId) { $0.refusedOutputFiles[refused.object] = refused.reason }
        case .killRequested:
            // Recorded in the execution's control stream; the kill itself shows as TaskCancelled and the end.
            break
        }
    }

    /// The position of run `id`, through the index (rebuilt first when `taskRuns` was set from outside the fold).
    private mutating func position(_ id: String) -> Int? {
        if !positions.isValid { positions.rebuild(taskRuns) }
        return positions.byId[id]
    }

    private mutating func upsert(_ run: TaskRunState) {
        let index = position(run.taskRunId)
        positions.folding = true
        defer { positions.folding = false }
        if let index {
            taskRuns[index] = run
        } else {
            positions.byId[run.taskRunId] = taskRuns.count
            taskRuns.append(run)
        }
    }

    private mutating func updateRun(_ id: String, _ change: (inout TaskRunState) -> Void) {
        guard let index = position(id) else { return }
        positions.folding = true
        defer { positions.folding = false }
        change(&taskRuns[index])
    }

    private mutating func updateAttempt(_ id: String, _ attempt: Int, _ change: (inout AttemptState) -> Void) {
        updateRun(id) { run in
            guard let index = run.attempts.firstIndex(where: { $0.attempt == attempt }) else { return }
            change(&run.attempts[index])
        }
    }

    /// Folds a whole stream.
    public static func fold(_ events: some Sequence<RecordedEvent>) throws -> ExecutionState {
        var state = ExecutionState()
        for event in events { try state.apply(event) }
        return state
    }
}

/// Task run id → index in `ExecutionState.taskRuns`: a cache kept by the fold, not part of the state's value (any
/// two are equal, and none is encoded or decoded). Setting `taskRuns` from outside the fold invalidates it.
struct TaskRunPositions: Sendable, Equatable, Codable {
    var byId: [String: Int] = [:]
    /// False when `taskRuns` may have changed behind the index's back (or the state was decoded).
    var isValid = true
    /// True while the fold itself changes `taskRuns` (and keeps `byId` right).
    var folding = false

    init() {}

    init(from decoder: any Decoder) throws { isValid = false }

    func encode(to encoder: any Encoder) throws {}

    mutating func rebuild(_ runs: [TaskRunState]) {
        byId = [:]
        for (index, run) in runs.enumerated() where byId[run.taskRunId] == nil { byId[run.taskRunId] = index }
        isValid = true
    }

    static func == (lhs: Self, rhs: Self) -> Bool { true }
}

extension KeyedEncodingContainer {
    /// The index is never written: an encoded `ExecutionState` has the same keys as before it had one.
    mutating func encode(_ value: TaskRunPositions, forKey key: Key) throws {}
}

extension KeyedDecodingContainer {
    /// The index is never read: a decoded `ExecutionState` rebuilds it on first use.
    func decode(_ type: TaskRunPositions.Type, forKey key: Key) throws -> TaskRunPositions {
        var positions = TaskRunPositions()
        positions.isValid = false
        return positions
    }
}

/// One task run (a task, or one ForEach iteration of it) across its attempts.
public struct TaskRunState: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var taskId: String
    public var value: String?
    /// RUNNING, SUCCEEDED, WARNING, FAILED or CANCELLED.
    public var state: RunState = .running
    public var attempts: [AttemptState] = []
    public var vars: [String: EventValue] = [:]
    public var metrics: [Metric] = []
    /// Output file name → absolute local path.
    public var outputFiles: [String: String] = [:]
    /// Objects not downloaded (full object name → why); see `OutputFileRefused`.
    public var refusedOutputFiles: [String: String] = [:]
    public var exitCode: Int?
    public var jobName: String?
    public var failureReason: String?
    public var allowedFailure = false
    public var apiRetries = 0
    /// The parent execution whose outcome a fork took.
    public var adoptedFrom: String?
    /// The type of a task run that needs no container (`TaskStarted`); nil for a script task's.
    public var type: String?
    /// The flowable task run this one runs in, when recorded.
    public var parentTaskRunId: String?
    /// The branch a flowable task run took.
    public var branch: String?
    /// The child execution of a Subflow task run.
    public var childExecutionId: String?
    /// Log lines a Log task run recorded (so a resumed run does not write them twice).
    public var loggedLines = 0
    public var startedAt: String?
    public var endedAt: String?

    public init(taskRunId: String, taskId: String, value: String?) {
        self.taskRunId = taskRunId
        self.taskId = taskId
        self.value = value
    }

    public var isTerminal: Bool { state.isTerminal }
    public var currentAttempt: AttemptState? { attempts.last }
}

/// One attempt: what was asked of the outside world and what came back.
public struct AttemptState: Codable, Sendable, Equatable {
    public var attempt: Int
    public var workingDirId: String
    public var jobId: String
    public var requestId: String
    public var project: String
    public var region: String
    public var bucket: String?
    public var provisioningModel: String
    public var startedAt: String
    public var rendered = false
    public var uploadRequested: [String] = []
    /// Object name → CRC32C.
    public var uploaded: [String: String] = [:]
    public var createRequested = false
    public var jobName: String?
    public var jobUid: String?
    public var jobState: String?
    public var statusEventsSeen = 0
    public var polls = 0
    public var logCursorTime: String?
    public var logCursorInsertId: String?
    public var logLines = 0
    public var stderrLines = 0
    public var exitCode: Int?
    public var downloaded: [String: String] = [:]
    /// Output file key → its download as recorded.
    public var downloads: [String: OutputFileDownloaded] = [:]
    /// Output file key → the object it is kept as outside the staging folder (`OutputFileKept`).
    public var kept: [String: String] = [:]
    /// Objects not downloaded: full object name → why.
    public var refusedOutputs: [String: String] = [:]
    public var deleteRequested = false
    public var jobDeleted = false
    public var stagingCleaned = false
    public var outcome: RunState?
    public var failureReason: String?
    public var reconciliations = 0
    /// Recovery found the attempt interrupted with `resume: false`: its job is being deleted, and the task runs
    /// again as a new attempt.
    public var replacing = false
    /// The attempt as it started (names, ids, secret references), for resuming it.
    public var started: AttemptStarted?

    init(started: AttemptStarted, at time: String) {
        self.started = started
        attempt = started.attempt
        workingDirId = started.workingDirId
        jobId = started.jobId
        requestId = started.requestId
        project = started.project
        region = started.region
        bucket = started.bucket
        provisioningModel = started.provisioningModel
        startedAt = time
    }
}

/// Where an execution stands against its flow's concurrency limit.
public enum ConcurrencyStanding: String, Codable, Sendable, Equatable {
    /// Waiting for a slot (QUEUE).
    case queued
    /// Queued before, and now holding a slot.
    case running
    /// Refused a slot (CANCEL, FAIL): the execution ends without running a task.
    case refusedCancelled, refusedFailed
}

/// The small per-execution summary kept as a cached projection in the ledger (for `executions`).
public struct ExecutionSummaryProjection: CachedProjection {
    public struct State: Codable, Equatable, Sendable {
        public var executionId = ""
        public var namespace = ""
        public var flowId = ""
        public var state = RunState.created
        public var startedAt: String?
        public var endedAt: String?
        /// The execution's labels (the flow's and the request's).
        public var labels: [String: String]?
        /// The flow's outputs, once the execution is ending.
        public var outputs: [String: EventValue]?
        /// The execution whose Subflow task started this one.
        public var parentExecutionId: String?
        /// True while the execution waits for a slot of its flow's concurrency limit (it holds none).
        public var queued: Bool?
    }

    public static let name = "execution-summary"
    /// 2: labels. 3: outputs. 4: queued.
    public static let definitionVersion = 4

    /// Executions only: a flow's stream (`FlowLibrary`) and a control stream (`ExecutionControl`) have no summary.
    public static func key(for event: RecordedEvent) -> String? {
        ExecutionControl.isExecutionStream(event.stream) ? event.stream : nil
    }

    public static func initialState(key: String) -> State { State() }

    public static func apply(_ event: RecordedEvent, to state: inout State) throws {
        switch event.type {
        case EventRegistry.name(of: ExecutionStarted.self):
            let started = try JSONDecoder().decode(ExecutionStarted.self, from: event.payload)
            state.executionId = started.executionId
            state.namespace = started.namespace
            state.flowId = started.flowId
            state.labels = started.labels.isEmpty ? nil : started.labels
            state.parentExecutionId = started.parentExecutionId
            state.state = .running
            state.startedAt = event.recordedAt
        case EventRegistry.name(of: ExecutionEnding.self):
            let ending = try JSONDecoder().decode(ExecutionEnding.self, from: event.payload)
            state.outputs = ending.outputs.isEmpty ? nil : ending.outputs
        case EventRegistry.name(of: ExecutionFinished.self):
            state.state = try JSONDecoder().decode(ExecutionFinished.self, from: event.payload).state
            state.endedAt = event.recordedAt
            state.queued = nil
        case EventRegistry.name(of: ConcurrencyQueued.self):
            state.queued = true
        case EventRegistry.name(of: ConcurrencySlotTaken.self):
            state.queued = nil
        default:
            break
        }
    }
}
