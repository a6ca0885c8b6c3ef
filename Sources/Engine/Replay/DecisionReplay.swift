import Clocks
import Foundation
import GoogleCloud
import Ledger
import Templates

/// Decision replay: runs the engine again over a recorded execution, with every Google call answered from the
/// ledger (`RecordedWorld`, through the same seams Google answers through), into a scratch ledger, and compares the engine's decisions (what it rendered,
/// staged, created, collected, retried, and how each task and the execution ended) with the recorded ones.
/// A change to the engine that would decide differently on the same history is caught, with the first
/// differing step named.
public enum DecisionReplay {
    /// The first step where the engine now decides differently.
    public struct Divergence: Error, Sendable, CustomStringConvertible {
        public var taskRunId: String
        public var step: Int
        public var recorded: String?
        public var replayed: String?
        /// Why the replayed run stopped early, when it did.
        public var replayStopped: String?

        public var description: String {
            "decision replay diverges at \(taskRunId) step \(step + 1): recorded \(recorded ?? "(nothing)"), "
                + "the engine now decides \(replayed ?? "(nothing)")"
                + (replayStopped.map { " (the replay stopped: \($0))" } ?? "")
        }
    }

    /// What a check compared.
    public struct Report: Sendable {
        public var taskRuns: Int
        public var decisions: Int
    }

    /// Replays `executionId` from `store`. `secrets` must give the values the execution used (digests are
    /// compared); `spotAttemptsBeforeStandard` is the engine rule the run used.
    public static func check(
        _ executionId: String, in store: EventStore, secrets: SecretStore, environment: [String: String],
        spotAttemptsBeforeStandard: Int = 2
    ) async throws -> Report {
        // One read of the stream: every event decoded once, and folded as it comes.
        var recordedEvents: [ExecutionEvent] = []
        var state = ExecutionState()
        try store.readStream(executionId) { recorded in
            let event = try ExecutionEvent.decode(recorded)
            recordedEvents.append(event)
            state.apply(recorded, decoded: event)
        }
        guard !recordedEvents.isEmpty, var started = state.started else {
            throw EngineError.configuration("no execution \(executionId) in \(store.name)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        started.outputDirectory = scratch.appendingPathComponent("outputs").path
        started.backend = Backend(kind: .replay, endpoint: "http://replay")
        // The scratch ledger is thrown away at the end: its commits need not wait for the disk.
        let replayStore = try EventStore(
            path: scratch.appendingPathComponent("replay.ledger").path, options: .init(durable: false))
        // A fork's adopted outcomes are part of how it started (recorded with ExecutionStarted): given, not decided.
        var first = [try ExecutionEvent.executionStarted(started).encoded()]
        for event in recordedEvents {
            switch event {
            // The concurrency decisions answered the ledger's other executions, which the replay does not have.
            case .taskAdopted, .concurrencyQueued, .concurrencySlotTaken, .concurrencyRefused:
                first.append(try event.encoded())
            default: break
            }
        }
        try await replayStore.append(first, to: executionId)

        var names: [String: (String, String)] = [:]
        for case .attemptStarted(let attempt) in recordedEvents {
            names["\(attempt.taskRunId)#\(attempt.attempt)"] = (attempt.workingDirId, attempt.requestId)
        }
        let recordedNames = names
        var children: [String: (executionId: String, state: ExecutionState)] = [:]
        for case .subflowStarted(let subflow) in recordedEvents {
            if let child = try store.executionState(subflow.childExecutionId), child.isTerminal {
                children[subflow.taskRunId] = (subflow.childExecutionId, child)
            }
        }
        // The recorded answers come back at once, and every wait (polls, log grace, retry delays, timeouts) is a
        // step of a clock that never sleeps; the scratch ledger needs no lease heartbeat.
        var timing = Timing.standard
        timing.callRetry = .none
        timing.leaseHeartbeat = nil
        // Recorded answers are not rate-limited, and spacing the job watcher's rounds would compare the times of
        // different task runs (each keeps its own on the stepping clock), pulling every one to the latest.
        timing.minimumRoundInterval = .zero
        let world = RecordedWorld(events: recordedEvents, state: state)
        var configuration = RunConfiguration(
            target: CloudTarget(backend: started.backend, world: world, timing: timing),
            secrets: secrets, environment: environment, outputDirectory: scratch.appendingPathComponent("outputs"),
            namespaceFilesDirectory: started.namespaceFilesDirectory.map { URL(fileURLWithPath: $0) },
            spotAttemptsBeforeStandard: spotAttemptsBeforeStandard, clock: AnyClock(SteppingClock()))
        configuration.recordedChildren = children
        configuration.recordedNames = { taskRun, attempt in
            recordedNames["\(taskRun)#\(attempt)"].map { (workingDirId: $0.0, requestId: $0.1) }
        }
        let runner = ExecutionRunner(store: replayStore, configuration: configuration)
        var failure: String?
        while true {
            do {
                _ = try await runner.resume(executionId)
            } catch {
                // Where the recorded execution was interrupted and recovery replaced an attempt, the replay stops
                // too and resumes as recovery did.
                if world.history.takeInterruption() { continue }
                // A divergence may make the replay fail outright (a call the history cannot answer); the comparison
                // below names the first differing step, and the failure says why the replay stopped.
                failure = "\(error)"
            }
            break
        }
        var replayedEvents: [ExecutionEvent] = []
        try replayStore.readStream(executionId) { event in
            replayedEvents.append(try ExecutionEvent.decode(event))
        }
        do {
            return try compare(recorded: recordedEvents, replayed: replayedEvents)
        } catch var divergence as Divergence {
            divergence.replayStopped = failure
            throw divergence
        }
    }

    /// The key of the execution's own decisions among the task runs'.
    static let executionKey = "(execution)"

    /// Compares the decisions of two histories, task run by task run (concurrent task runs may interleave
    /// differently), then the execution's end.
    static func compare(recorded: [ExecutionEvent], replayed: [ExecutionEvent]) throws -> Report {
        let left = decisions(recorded)
        let right = decisions(replayed)
        var count = 0
        // Task runs first, the execution's own decisions (its end) last: a task run that now ends differently is
        // named, rather than only the execution's end it changes.
        let execution = executionKey
        var order = left.keys.filter { $0 != execution }.sorted()
        for key in right.keys.sorted() where left[key] == nil && key != execution { order.append(key) }
        order.append(execution)
        for taskRun in order {
            let a = left[taskRun] ?? []
            let b = right[taskRun] ?? []
            for index in 0..<max(a.count, b.count) {
                let x = index < a.count ? a[index] : nil
                let y = index < b.count ? b[index] : nil
                if x != y { throw Divergence(taskRunId: taskRun, step: index, recorded: x, replayed: y) }
                count += 1
            }
        }
        return Report(taskRuns: left.keys.filter { $0 != executionKey }.count, decisions: count)
    }

    /// The decisions in a history, by task run; outcomes of the outside world (polls, log lines, uploads done,
    /// retried calls) are left out, since the replay serves them from the history itself.
    static func decisions(_ events: [ExecutionEvent]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        func add(_ key: String, _ text: String) { result[key, default: []].append(text) }
        for event in events {
            switch event {
            case .attemptStarted(let e):
                add(e.taskRunId, "AttemptStarted #\(e.attempt) job \(e.jobId) \(e.provisioningModel)")
            case .taskRendered(let e):
                add(
                    e.taskRunId,
                    "TaskRendered #\(e.attempt) image \(e.containerImage) commands \(e.commandsSHA256.prefix(12)) files \(e.inputFiles.keys.sorted())"
                )
            case .uploadRequested(let e):
                add(
                    e.taskRunId,
                    "UploadRequested #\(e.attempt) \(e.objects.map(\.object).sorted())")
            case .jobCreateRequested(let e):
                add(e.taskRunId, "JobCreateRequested #\(e.attempt) \(e.jobId) spec \(e.specSHA256.prefix(12))")
            case .exitCodeObserved(let e): add(e.taskRunId, "ExitCodeObserved #\(e.attempt) \(e.exitCode)")
            case .outputFileDownloaded(let e):
                // The object, not its key: what is downloaded is the decision (an output directory's files were
                // keyed by their path under the working directory in histories recorded before Kestra's keys).
                add(e.taskRunId, "OutputFileDownloaded #\(e.attempt) \(e.object)")
            case .jobDeleteRequested(let e): add(e.taskRunId, "JobDeleteRequested #\(e.attempt)")
            case .stagingCleaned(let e): add(e.taskRunId, "StagingCleaned #\(e.attempt)")
            case .taskSucceeded(let e): add(e.taskRunId, "TaskSucceeded #\(e.attempt) \(e.state)")
            case .taskFailed(let e):
                add(
                    e.taskRunId,
                    "TaskFailed #\(e.attempt) exit \(e.exitCode.map(String.init) ?? "-") retry \(e.willRetry) allowed \(e.allowed)"
                )
            case .taskCancelled(let e): add(e.taskRunId, "TaskCancelled #\(e.attempt)")
            case .taskAdopted(let e): add(e.taskRunId, "TaskAdopted \(e.state)")
            case .executionFinished(let e): add(executionKey, "ExecutionFinished \(e.state)")
            case .taskStarted(let e): add(e.taskRunId, "TaskStarted \(e.type) \(e.branch ?? "-")")
            case .executionEnding(let e):
                add(executionKey, "ExecutionEnding \(e.state) outputs \(e.outputs.keys.sorted())")
            case .inputFileUploadRequested(let e):
                add(executionKey, "InputFileUploadRequested \(e.input) \(e.object) \(e.crc32c)")
            default: break
            }
        }
        return result
    }
}
