import Foundation
import GoogleCloud
import Ledger
import Templates

/// The outside world of a recorded execution, for decision replay: Batch, Cloud Storage and the task logs
/// answer with what the history says they answered (each job's polls in order, each attempt's lines and
/// protocol outputs as they were read, the objects uploaded and downloaded). Nothing leaves the process; a
/// question the history has no answer for is an error that names it.
final class RecordedWorld: CloudWorld {
    let history: RecordedHistory

    init(events: [ExecutionEvent], state: ExecutionState) {
        history = RecordedHistory(events: events, state: state)
    }

    func services(for identity: Identity) async throws -> WorldServices {
        let logs = RecordedLogs(history: history)
        return WorldServices(
            key: "recorded", jobs: RecordedJobs(history: history), storage: RecordedStorage(history: history),
            logs: { _ in logs })
    }
}

/// A question the recorded history cannot answer: the engine now asks something the execution never asked.
struct NotRecorded: Error, CustomStringConvertible {
    var question: String
    var description: String { "the recorded execution has no answer for \(question)" }
}

/// The replay reached the point where the recorded execution was interrupted and recovery replaced the attempt
/// (`resume: false`): the replay stops there, as the process did, and resumes the execution as recovery did.
struct ReplayInterruption: Error, CustomStringConvertible {
    var taskRunId: String
    var attempt: Int
    var description: String {
        "\(taskRunId) attempt \(attempt) was interrupted here in the recorded execution; the replay resumes it"
    }
}

/// The recorded answers, indexed once; each job's polls are served in order.
final class RecordedHistory: @unchecked Sendable {
    private let lock = NSLock()
    let state: ExecutionState
    /// By "taskRunId#attempt".
    private var polls: [String: [JobPolled]] = [:]
    private var lines: [String: [LogLinesReceived]] = [:]
    private var outputs: [String: [OutputsParsed]] = [:]
    private var created: [String: JobCreated] = [:]
    private var deleted: [String: JobDeleted] = [:]
    private var cleaned: [String: StagingCleaned] = [:]
    private var attemptsByJob: [String: AttemptStarted] = [:]
    private var keyByUID: [String: String] = [:]
    private var uploads: [String: FileUploaded] = [:]
    private var inputUploads: [String: InputFileUploaded] = [:]
    private var downloads: [String: OutputFileDownloaded] = [:]
    private var pollCursor: [String: Int] = [:]
    private var eventsServed: [String: [JobStatusChange]] = [:]
    /// The attempts a kill cancelled (the execution ended CANCELLED): once their recorded answers are all served,
    /// the replay is cancelled where the kill came, and the engine decides again what a kill makes it do.
    private var killed: Set<String> = []
    /// Attempts that recovery replaced (`resume: false`): how many polls were recorded before it did.
    private var pollsBeforeReplacement: [String: Int] = [:]
    /// Replaced attempts whose interruption the replay has re-enacted but not yet resumed from.
    private var interruptionsToResume = 0
    private var interrupted: Set<String> = []

    init(events: [ExecutionEvent], state: ExecutionState) {
        self.state = state
        var pollsSoFar: [String: Int] = [:]
        for event in events {
            if case .jobPolled(let e) = event { pollsSoFar[Self.key(e.taskRunId, e.attempt), default: 0] += 1 }
            if case .reconciled(let e) = event, e.action == Reconciliation.replaceAction {
                let key = Self.key(e.taskRunId, e.attempt)
                if pollsBeforeReplacement[key] == nil { pollsBeforeReplacement[key] = pollsSoFar[key, default: 0] }
            }
            switch event {
            case .attemptStarted(let e): attemptsByJob[e.jobId] = e
            case .jobPolled(let e): polls[Self.key(e.taskRunId, e.attempt), default: []].append(e)
            case .logLinesReceived(let e): lines[Self.key(e.taskRunId, e.attempt), default: []].append(e)
            case .outputsParsed(let e): outputs[Self.key(e.taskRunId, e.attempt), default: []].append(e)
            case .jobCreated(let e):
                created[Self.key(e.taskRunId, e.attempt)] = e
                keyByUID[e.uid] = Self.key(e.taskRunId, e.attempt)
            case .jobDeleted(let e): deleted[Self.key(e.taskRunId, e.attempt)] = e
            case .stagingCleaned(let e): cleaned[e.prefix] = e
            case .fileUploaded(let e): uploads[e.object] = e
            case .inputFileUploaded(let e) where !e.adopted:
                // Asked for before the upload: absent then, as it was.
                inputUploads[e.object] = e
            case .outputFileDownloaded(let e): downloads[e.object] = e
            case .taskCancelled(let e) where state.state == .cancelled: killed.insert(Self.key(e.taskRunId, e.attempt))
            default: break
            }
        }
    }

    static func key(_ taskRunId: String, _ attempt: Int) -> String { "\(taskRunId)#\(attempt)" }

    private func attempt(ofJob name: String) throws -> AttemptStarted {
        let id = name.split(separator: "/").last.map(String.init) ?? name
        guard let attempt = attemptsByJob[id] else { throw NotRecorded(question: "job \(name)") }
        return attempt
    }

    private func uid(_ attempt: AttemptStarted) -> String {
        created[Self.key(attempt.taskRunId, attempt.attempt)]?.uid ?? "replay-\(attempt.jobId)"
    }

    func creation(name: String) throws -> JobCreation {
        try lock.withLock {
            let attempt = try attempt(ofJob: name)
            let recorded = created[Self.key(attempt.taskRunId, attempt.attempt)]
            if recorded == nil && killed.contains(Self.key(attempt.taskRunId, attempt.attempt)) {
                throw CancellationError()
            }
            return JobCreation(
                job: JobObservation(name: name, uid: uid(attempt), state: .queued, statusEvents: []),
                adopted: recorded?.adopted ?? false)
        }
    }

    /// The job's next recorded poll (the last one again once all were served).
    func poll(name: String) throws -> JobObservation {
        try lock.withLock {
            let attempt = try attempt(ofJob: name)
            let key = Self.key(attempt.taskRunId, attempt.attempt)
            if let limit = pollsBeforeReplacement[key], pollCursor[key, default: 0] >= limit, !interrupted.contains(key)
            {
                interrupted.insert(key)
                interruptionsToResume += 1
                throw ReplayInterruption(taskRunId: attempt.taskRunId, attempt: attempt.attempt)
            }
            let recorded = polls[key] ?? []
            if pollCursor[key, default: 0] >= recorded.count && killed.contains(key) { throw CancellationError() }
            guard !recorded.isEmpty else {
                return JobObservation(name: name, uid: uid(attempt), state: .queued, statusEvents: [])
            }
            let index = pollCursor[key, default: 0]
            if index < recorded.count {
                eventsServed[key, default: []] += recorded[index].newStatusEvents
                pollCursor[key] = index + 1
            }
            let poll = recorded[min(index, recorded.count - 1)]
            return JobObservation(
                name: name, uid: uid(attempt), state: JobState(name: poll.state),
                statusEvents: eventsServed[key] ?? [])
        }
    }

    /// Whether the replay stopped at a recorded interruption that it has not resumed from yet (and, if so, counts
    /// it as resumed).
    func takeInterruption() -> Bool {
        lock.withLock {
            guard interruptionsToResume > 0 else { return false }
            interruptionsToResume -= 1
            return true
        }
    }

    func exitCode(name: String) throws -> Int? {
        let started: AttemptStarted = try lock.withLock { () throws -> AttemptStarted in try attempt(ofJob: name) }
        return state.taskRun(started.taskRunId)?.attempts.first { $0.attempt == started.attempt }?.exitCode
    }

    func wasDeleted(name: String) throws -> Bool {
        try lock.withLock {
            let attempt = try attempt(ofJob: name)
            return !(deleted[Self.key(attempt.taskRunId, attempt.attempt)]?.alreadyGone ?? false)
        }
    }

    /// Everything the job said, once: its recorded lines and protocol outputs, in order.
    func said(uid: String) -> JobSaid? {
        lock.withLock {
            guard let key = keyByUID[uid] else { return nil }
            keyByUID[uid] = nil
            let batches = lines[key] ?? []
            let parsed = outputs[key] ?? []
            guard let last = batches.last else { return nil }
            var said = JobSaid(
                lines: batches.flatMap(\.lines), vars: [:], metrics: [], warnings: [], cursorTime: last.cursorTime,
                cursorInsertId: last.cursorInsertId)
            for output in parsed {
                said.vars.merge(output.vars) { _, new in new }
                said.metrics += output.metrics
                said.warnings += output.warnings
            }
            return said
        }
    }

    func uploaded(_ name: String) -> FileUploaded? { lock.withLock { uploads[name] } }

    /// A FILE input's object as the history stored it.
    func inputUpload(_ name: String) -> InputFileUploaded? { lock.withLock { inputUploads[name] } }

    func downloaded(_ name: String) -> OutputFileDownloaded? { lock.withLock { downloads[name] } }

    /// What the attempt's folder held when it was collected: the outputs downloaded, and the inputs uploaded.
    func listing(prefix: String) -> [StoredObject] {
        lock.withLock {
            var items: [StoredObject] = []
            for (name, file) in downloads where name.hasPrefix(prefix) {
                items.append(StoredObject(name: name, generation: 1, size: file.size, crc32c: file.crc32c))
            }
            for (name, file) in uploads where name.hasPrefix(prefix) && downloads[name] == nil {
                items.append(StoredObject(name: name, generation: 1, size: file.size, crc32c: file.crc32c))
            }
            return items.sorted { $0.name < $1.name }
        }
    }

    func objectsDeleted(prefix: String) -> Int { lock.withLock { cleaned[prefix]?.objectsDeleted ?? 0 } }
}

struct RecordedJobs: BatchJobs {
    let history: RecordedHistory

    func create(_ job: BatchJob, in location: BatchLocation, jobID: String, requestID: String) async throws
        -> JobCreation
    {
        try history.creation(name: location.jobName(jobID))
    }

    func job(_ name: String) async throws -> JobObservation? { try history.poll(name: name) }

    /// No listing: every job is asked alone, so that each poll is served to the job that asked.
    func jobs(in location: BatchLocation, filter: String) async throws -> [JobObservation] { [] }

    func exitCode(ofJob name: String) async throws -> Int? { try history.exitCode(name: name) }

    func delete(_ name: String, requestID: String, reason: String, deadline: Duration) async throws -> Bool {
        try history.wasDeleted(name: name)
    }
}

struct RecordedStorage: ObjectStorage {
    var keepsOutputFiles: Bool { false }
    let history: RecordedHistory

    func object(bucket: String, name: String) async throws -> StoredObject? {
        history.uploaded(name).map {
            StoredObject(name: name, generation: $0.generation, size: $0.size, crc32c: $0.crc32c)
        }
    }

    /// The history says the object was stored; its content here is whatever the replay staged (output files of
    /// earlier tasks may be absent on this machine), so no checksum is claimed.
    func create(bucket: String, name: String, data: Data) async throws -> StoredObject {
        StoredObject(
            name: name, generation: history.uploaded(name)?.generation ?? 1, size: Int64(data.count), crc32c: nil)
    }

    func create(bucket: String, name: String, file: URL) async throws -> StoredObject {
        if let input = history.inputUpload(name) {
            return StoredObject(name: name, generation: input.generation, size: input.size, crc32c: input.crc32c)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value
        return StoredObject(
            name: name, generation: history.uploaded(name)?.generation ?? 1, size: size ?? 0, crc32c: nil)
    }

    func objects(bucket: String, prefix: String) async throws -> [StoredObject] { history.listing(prefix: prefix) }

    /// The recorded file's bytes when it is still on this machine; an empty stand-in otherwise (an imported
    /// history), honestly hashed.
    func download(bucket: String, name: String, to file: URL) async throws -> DownloadedObject {
        guard let recorded = history.downloaded(name) else {
            throw NotRecorded(question: "the download of gs://\(bucket)/\(name)")
        }
        let data = FileManager.default.contents(atPath: recorded.localPath) ?? Data()
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return DownloadedObject(size: Int64(data.count), crc32c: CRC32C.checksum(data))
    }

    func deleteAll(bucket: String, prefix: String) async throws -> Int { history.objectsDeleted(prefix: prefix) }
}

struct RecordedLogs: TaskLogSource {
    let history: RecordedHistory

    func follow(_ uid: String, after cursor: LogCursor) async {}
    func forget(_ uid: String) async {}
    func next(_ uid: String, masker: SecretMasker) async throws -> JobSaid? { history.said(uid: uid) }
}
