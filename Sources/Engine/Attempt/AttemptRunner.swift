import Clocks
import Foundation
import GoogleCloud
import Ledger

/// Drives one task attempt through stage → submit → watch → collect → teardown. Each step records its intent,
/// performs the effect with an idempotency key, and records the outcome; the ledger alone tells where the
/// attempt stands (`AttemptState`), so a later process can continue it.
struct AttemptRunner {
    let plan: AttemptPlan
    let services: WorldServices
    let recorder: ExecutionRecorder
    let watcher: BatchWatcher
    let logs: any TaskLogSource
    let logCap: Int
    let clock: AnyClock<Duration>
    /// Staging and job creation wait here for a place among the registry's other attempts.
    let staging: StagingGate
    /// Recovery's shared view of Batch's jobs (nil outside recovery).
    var directory: JobDirectory? = nil

    private var taskRunId: String { plan.taskRunId }
    private var attempt: Int { plan.attempt }

    /// Runs the attempt from wherever its recorded state says it is.
    func run(resuming: Bool = false) async throws -> AttemptOutcome {
        var current = try await attemptState()
        if !current.rendered {
            try await recorder.record(.taskRendered(plan.rendered))
        }
        let bucket = plan.started.bucket
        do {
            if resuming, let outcome = try await reconcile(current) {
                return outcome
            }
            let job = try await staging.withPlace {
                current = try await attemptState()
                if let bucket, let placeholder = plan.outputPlaceholder, current.jobName == nil,
                    current.uploaded[placeholder] == nil
                {
                    try await createPlaceholder(placeholder, bucket: bucket)
                }
                if let bucket, !plan.uploads.isEmpty, current.jobName == nil {
                    try await stage(bucket: bucket, state: current)
                }
                current = try await attemptState()
                return try await submit(state: current)
            }
            let finished = try await watch(job)
            return try await conclude(name: finished.name, jobState: finished.state, events: finished.statusEvents)
        } catch let timeout as AttemptTimeout {
            try await withoutCancellation { try await kill(reason: "timed out after \(timeout.limit)") }
            let reason = "timed out after \(Self.format(timeout.limit))"
            return .failed(reason: reason, exitCode: nil, preempted: false)
        } catch  where error is CancellationError || Task.isCancelled {
            // A kill: however the step it interrupted failed (a cancelled upload surfaces as that call's error,
            // and what it did next may have failed too), the attempt is cancelled, not failed.
            if KillNote.isDetaching { throw CancellationError() }
            let reason = KillNote.reason
            try await withoutCancellation { try await kill(reason: reason) }
            return .cancelled(reason: reason)
        }
    }

    /// Recovery: compares what the ledger says with what Batch says, records it, and either finishes an attempt
    /// whose job already ended (returning its outcome) or returns nil to continue the steps from where they are.
    private func reconcile(_ state: AttemptState) async throws -> AttemptOutcome? {
        let recorded = Reconciliation.Recorded(state)
        if !plan.resumeJobs && (state.replacing || Reconciliation.replaces(recorded)) {
            return try await replace(state, recorded: recorded)
        }
        var observed = Reconciliation.Observed.nothingAsked
        switch Reconciliation.question(recorded, bucket: plan.started.bucket) {
        case .job:
            let job: JobObservation?
            if let directory {
                job = try await directory.job(plan.jobName, in: plan.location, jobs: services.jobs)
            } else {
                job = try await services.jobs.job(plan.jobName)
            }
            observed = job.map { .job($0.state) } ?? .noJob
        case .objects(let bucket):
            var present = 0
            for object in state.uploadRequested
            where try await services.storage.object(bucket: bucket, name: object) != nil {
                present += 1
            }
            observed = .objects(present: present)
        case .nothing:
            break
        }
        let decision = Reconciliation.decide(recorded: recorded, observed: observed)
        try await recorder.record(
            .reconciled(
                Reconciled(
                    taskRunId: taskRunId, attempt: attempt, recordedStep: decision.recordedStep,
                    observed: plan.mask(decision.observed), action: decision.action)))
        switch decision.verdict {
        case .jobVanished:
            return .failed(
                reason: "job \(plan.started.jobId) is unknown to Batch (deleted, or expired after 60 days)",
                exitCode: nil, preempted: false)
        case .conclude(let jobState):
            return try await conclude(name: plan.jobName, jobState: jobState, events: [])
        case .proceed:
            return nil
        }
    }

    /// `resume: false`: the interrupted attempt's job is not reattached. It is deleted (whether or not Batch
    /// created it: its creation may have been requested only), the attempt's folder cleaned as after any end, and
    /// the attempt ends so that the task runs again as a new attempt, with a new job. Each step is recorded, so a
    /// crash in between continues the replacement rather than starting it over.
    private func replace(_ state: AttemptState, recorded: Reconciliation.Recorded) async throws -> AttemptOutcome {
        if !state.replacing {
            let decision = Reconciliation.replacement(recorded)
            try await recorder.record(
                .reconciled(
                    Reconciled(
                        taskRunId: taskRunId, attempt: attempt, recordedStep: decision.recordedStep,
                        observed: decision.observed, action: decision.action)))
        }
        let reason = "resume is false: replaced by a new attempt"
        let requestID = plan.started.requestId + "-delete"
        if !state.deleteRequested {
            try await recorder.record(
                .jobDeleteRequested(
                    JobDeleteRequested(
                        taskRunId: taskRunId, attempt: attempt, name: plan.recordedJobName, requestId: requestID,
                        reason: reason)))
        }
        if !state.jobDeleted {
            try await removeJob(requestID: requestID, reason: reason)
        }
        try await cleanStaging(try await attemptState())
        return .replaced(
            reason: "interrupted; resume is false, so job \(plan.started.jobId) was deleted and the task runs again")
    }

    /// Creates the output directory's placeholder object (create-only; an existing one with the same content is
    /// adopted) and records it.
    private func createPlaceholder(_ name: String, bucket: String) async throws {
        let object = try await services.storage.create(bucket: bucket, name: name, data: Data())
        try await recorder.record(
            .fileUploaded(
                FileUploaded(
                    taskRunId: taskRunId, attempt: attempt, object: name, generation: object.generation,
                    size: object.size, crc32c: object.crc32c ?? CRC32C.base64(CRC32C.checksum(Data())))))
    }

    private func attemptState() async throws -> AttemptState {
        guard let state = await recorder.state.taskRun(taskRunId)?.attempts.first(where: { $0.attempt == attempt })
        else {
            throw EngineError.configuration("attempt \(attempt) of \(taskRunId) was not started")
        }
        return state
    }

    // MARK: - Stage

    private func stage(bucket: String, state: AttemptState) async throws {
        var staged: [(upload: AttemptPlan.Upload, object: String, file: URL?, data: Data?, crc: String, size: Int64)] =
            []
        for upload in plan.uploads {
            let object = plan.prefix + upload.name
            switch upload.source {
            case .data(let data):
                staged.append((upload, object, nil, data, CRC32C.base64(CRC32C.checksum(data)), Int64(data.count)))
            case .file(let url):
                let data = try Data(contentsOf: url, options: .mappedIfSafe)
                staged.append(
                    (
                        upload, object, url, data.count <= 8 << 20 ? data : nil,
                        CRC32C.base64(CRC32C.checksum(data)), Int64(data.count)
                    ))
            }
        }
        if state.uploadRequested.isEmpty {
            try await recorder.record(
                .uploadRequested(
                    UploadRequested(
                        taskRunId: taskRunId, attempt: attempt, bucket: plan.recordedBucket ?? bucket,
                        objects: staged.map { StagedObject(object: $0.object, size: $0.size, crc32c: $0.crc) })))
        }
        try await withThrowingTaskGroup(of: FileUploaded?.self) { group in
            var running = 0
            for item in staged where state.uploaded[item.object] == nil {
                if running >= 8, let done = try await group.next() {
                    if let done { try await recorder.record(.fileUploaded(done)) }
                    running -= 1
                }
                running += 1
                group.addTask { [services, taskRunId, attempt] in
                    let object: StoredObject
                    if let data = item.data {
                        object = try await services.storage.create(bucket: bucket, name: item.object, data: data)
                    } else {
                        object = try await services.storage.create(bucket: bucket, name: item.object, file: item.file!)
                    }
                    return FileUploaded(
                        taskRunId: taskRunId, attempt: attempt, object: item.object, generation: object.generation,
                        size: object.size, crc32c: object.crc32c ?? item.crc)
                }
            }
            for try await done in group {
                if let done { try await recorder.record(.fileUploaded(done)) }
            }
        }
    }

    // MARK: - Submit

    private func submit(state: AttemptState) async throws -> JobObservation {
        if state.jobName != nil {
            // Created before (this process or an earlier one): continue with it. The recorded name is masked
            // when the project is a secret; the real one comes from the plan.
            if let job = try await services.jobs.job(plan.jobName) { return job }
            throw JobVanished(name: plan.mask(plan.jobName))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let specDigest = SHA256Digest.of(try encoder.encode(plan.job)).hex
        if !state.createRequested {
            try await recorder.record(
                .jobCreateRequested(
                    JobCreateRequested(
                        taskRunId: taskRunId, attempt: attempt, jobId: plan.started.jobId,
                        requestId: plan.started.requestId, specSHA256: specDigest)))
        }
        // A create in flight is not abandoned when the attempt is cancelled: Batch may create the job anyway, and
        // only an answered create leaves a job name to delete.
        let creation = try await withoutCancellation { [services, plan] in
            try await services.jobs.create(
                plan.job, in: plan.location, jobID: plan.started.jobId, requestID: plan.started.requestId)
        }
        try await recorder.record(
            .jobCreated(
                JobCreated(
                    taskRunId: taskRunId, attempt: attempt, name: plan.recordedJobName, uid: creation.job.uid,
                    adopted: creation.adopted)))
        return creation.job
    }

    // MARK: - Watch

    private func watch(_ created: JobObservation) async throws -> JobObservation {
        let name = created.name
        let uid = created.uid
        let deadline = clock.now.advanced(by: plan.timeout)
        var state = try await attemptState()
        var cursor = LogCursor.start
        if let time = state.logCursorTime, let timestamp = LogTimestamp(time) {
            cursor = LogCursor(timestamp: timestamp, insertId: state.logCursorInsertId ?? "")
        }
        await logs.follow(uid, after: cursor)
        await watcher.watch(name)
        var interval = plan.pollInterval
        var seenEvents = state.statusEventsSeen
        var job = created
        do {
            while true {
                try Task.checkCancellation()
                guard let polled = try await watcher.job(name) else { throw JobVanished(name: plan.mask(name)) }
                job = polled
                let fresh = job.statusEvents.count > seenEvents ? Array(job.statusEvents[seenEvents...]) : []
                seenEvents = max(seenEvents, job.statusEvents.count)
                // Every poll is recorded, compactly: the state and only the status events not seen before. The
                // log lines read in the same round go first, so they show before the state they led to.
                var batch: [ExecutionEvent] = []
                if job.state == .running || job.state.isTerminal {
                    batch += try await readLogs(uid)
                }
                batch.append(
                    .jobPolled(
                        JobPolled(
                            taskRunId: taskRunId, attempt: attempt, state: job.state.name, newStatusEvents: fresh)))
                try await recorder.record(batch)
                if job.state.isTerminal { break }
                let now = clock.now
                if now >= deadline { throw AttemptTimeout(limit: plan.timeout) }
                try await clock.sleep(until: min(now.advanced(by: interval), deadline))
                interval = min(plan.maxPollInterval, interval * 3 / 2)
                state = try await attemptState()
            }
            // Late log entries: read until a quiet round after the grace period.
            let graceEnd = clock.now.advanced(by: plan.logGrace)
            while true {
                let batch = try await readLogs(uid)
                if !batch.isEmpty { try await recorder.record(batch) }
                if plan.logGrace == .zero || (clock.now >= graceEnd && batch.isEmpty) { break }
                try await clock.sleep(for: min(plan.pollInterval, .milliseconds(500)))
            }
        } catch {
            await stopWatching(uid: uid, name: name)
            throw error
        }
        await stopWatching(uid: uid, name: name)
        return job
    }

    private func stopWatching(uid: String, name: String) async {
        await logs.forget(uid)
        await watcher.unwatch(name)
    }

    /// Reads the job's new log lines and turns them into events: the lines (within the execution's log budget:
    /// lines past it are counted, not stored) and what the protocol lines carried.
    private func readLogs(_ uid: String) async throws -> [ExecutionEvent] {
        guard let said = try await logs.next(uid, masker: await recorder.masker) else { return [] }
        var budget = LogBudget(cap: logCap, stored: await recorder.state.storedLogBytes)
        let (kept, dropped) = budget.admit(said.lines)
        var batch: [ExecutionEvent] = [
            .logLinesReceived(
                LogLinesReceived(
                    taskRunId: taskRunId, attempt: attempt, lines: kept, droppedLines: dropped,
                    cursorTime: said.cursorTime, cursorInsertId: said.cursorInsertId))
        ]
        if !said.vars.isEmpty || !said.metrics.isEmpty || !said.warnings.isEmpty {
            batch.append(
                .outputsParsed(
                    OutputsParsed(
                        taskRunId: taskRunId, attempt: attempt, vars: said.vars, metrics: said.metrics,
                        warnings: said.warnings)))
        }
        return batch
    }

    // MARK: - Collect and teardown

    private func conclude(name: String, jobState: JobState, events: [JobStatusChange]) async throws
        -> AttemptOutcome
    {
        let recorded = try await attemptState()
        var exitCode = recorded.exitCode
        let alreadyObserved = exitCode != nil
        if exitCode == nil {
            // The task's own exit code; a job that is gone already still has it in its status events.
            exitCode =
                try await services.jobs.exitCode(ofJob: name)
                ?? events.last(where: { $0.exitCode != nil })?.exitCode
        }
        if jobState == .succeeded && exitCode == nil { exitCode = 0 }
        if let exitCode, !alreadyObserved {
            try await recorder.record(
                .exitCodeObserved(
                    ExitCodeObserved(
                        taskRunId: taskRunId, attempt: attempt, exitCode: exitCode,
                        meaning: BatchExitCode.meaning(of: exitCode))))
        }
        if let bucket = plan.started.bucket, plan.collection.collectsAnything {
            try await collect(bucket: bucket)
            try await keepOutputs(bucket: bucket)
        }
        let succeeded = jobState == .succeeded
        try await teardown(deleteJob: succeeded && plan.deleteWhenDone, reason: "task completed")
        if succeeded {
            let state = await recorder.state.taskRun(taskRunId)?.attempts.first { $0.attempt == attempt }
            let warned = plan.warningOnStdErr && (state?.stderrLines ?? 0) > 0
            return .succeeded(state: warned ? .warning : .succeeded)
        }
        let reason: String
        if let exitCode {
            reason = "job \(plan.started.jobId) ended \(jobState.name) with \(BatchExitCode.describe(exitCode))"
        } else {
            reason = "job \(plan.started.jobId) ended \(jobState.name)"
        }
        return .failed(reason: plan.mask(reason), exitCode: exitCode, preempted: exitCode == 50001)
    }

    /// Downloads what the job wrote that the output collection selects (`OutputCollection`: the output directory,
    /// the `outputFiles` globs, `syncWorkingDirectory`), verifying each file's CRC32C. An object whose key would not
    /// make a file inside the task run's folder is not downloaded; the refusal is recorded.
    private func collect(bucket: String) async throws {
        let state = try await attemptState()
        let objects = try await services.storage.objects(bucket: bucket, prefix: plan.prefix)
        var staged: [String: String] = [:]
        for (object, crc) in state.uploaded where object.hasPrefix(plan.prefix) {
            staged[String(object.dropFirst(plan.prefix.count))] = crc
        }
        let selected = plan.collection.select(
            objects.map { .init(relative: String($0.name.dropFirst(plan.prefix.count)), crc32c: $0.crc32c) },
            staged: staged)
        let wanted = selected.filter { file in
            state.downloaded[file.key] == nil && state.refusedOutputs[plan.prefix + file.relative] == nil
        }
        for file in wanted {
            // The object as listed; the file is named by its key (relative to the output directory for a file
            // written there, else to the working directory).
            let objectName = plan.prefix + file.relative
            let destination: URL
            do {
                destination = try OutputPath.destination(for: file.key, in: plan.outputFolder)
            } catch let refusal as OutputPathRefusal {
                try await recorder.record(
                    .outputFileRefused(
                        OutputFileRefused(
                            taskRunId: taskRunId, attempt: attempt, object: objectName, reason: refusal.reason)))
                continue
            }
            let download = try await services.storage.download(bucket: bucket, name: objectName, to: destination)
            try await recorder.record(
                .outputFileDownloaded(
                    OutputFileDownloaded(
                        taskRunId: taskRunId, attempt: attempt, name: file.key, object: objectName,
                        localPath: destination.standardizedFileURL.path, size: download.size,
                        crc32c: CRC32C.base64(download.crc32c))))
        }
    }

    /// Keeps every downloaded output file not kept yet in the bucket outside the staging folder (`KeptOutput`),
    /// before the folder is cleaned, so that any host sharing the ledger can serve it. The object is created only
    /// if absent (the same bytes already there, from a try whose answer was lost, are adopted), so a resumed
    /// attempt redoes an unrecorded keep safely. The bytes come from the downloaded file when it still has the
    /// recorded CRC32C, else again from the staging object.
    private func keepOutputs(bucket: String) async throws {
        guard services.storage.keepsOutputFiles else { return }
        let state = try await attemptState()
        for (name, download) in state.downloads.sorted(by: { $0.key < $1.key }) where state.kept[name] == nil {
            guard
                let object = KeptOutput.objectName(
                    executionId: recorder.executionId, taskRunId: taskRunId, attempt: attempt, name: name)
            else { continue }
            let local = URL(fileURLWithPath: download.localPath)
            var source = local
            var scratch: URL?
            if KeptOutput.checksum(of: local)?.crc32c != download.crc32c {
                let copy = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "batchledger-keep-\(UUID().uuidString)")
                scratch = copy
                let fetched = try await services.storage.download(bucket: bucket, name: download.object, to: copy)
                guard CRC32C.base64(fetched.crc32c) == download.crc32c, fetched.size == download.size else {
                    try? FileManager.default.removeItem(at: copy)
                    throw EngineError.configuration(
                        "the output file \(MessageQuote.quoted(name)) of \(taskRunId) changed in "
                            + "gs://\(plan.recordedBucket ?? bucket)/\(download.object) since it was downloaded: "
                            + "it is not kept")
                }
                source = copy
            }
            defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
            let stored = try await services.storage.create(bucket: bucket, name: object, file: source)
            try await recorder.record(
                .outputFileKept(
                    OutputFileKept(
                        taskRunId: taskRunId, attempt: attempt, name: name, bucket: plan.recordedBucket ?? bucket,
                        object: object, generation: stored.generation, size: download.size,
                        crc32c: download.crc32c)))
        }
    }

    /// Deletes the job (when asked) and the attempt's bucket folder (when `delete`), recording both. The intent to
    /// delete the job is recorded first; the two effects are independent, so they run at the same time.
    func teardown(deleteJob: Bool, reason: String) async throws {
        let state = try await attemptState()
        // A job whose creation was requested but never confirmed (a crash, a refused answer) is deleted by its
        // deterministic name too: Batch may have created it.
        let deleting = deleteJob && (state.jobName != nil || state.createRequested) && !state.jobDeleted
        let requestID = plan.started.requestId + "-delete"
        if deleting && !state.deleteRequested {
            try await recorder.record(
                .jobDeleteRequested(
                    JobDeleteRequested(
                        taskRunId: taskRunId, attempt: attempt, name: plan.recordedJobName, requestId: requestID,
                        reason: reason)))
        }
        async let job: Void = deleting ? removeJob(requestID: requestID, reason: reason) : ()
        async let staging: Void = cleanStaging(state)
        try await job
        try await staging
    }

    private func removeJob(requestID: String, reason: String) async throws {
        let deleted = try await services.jobs.delete(
            plan.jobName, requestID: requestID, reason: reason, deadline: .seconds(60))
        try await recorder.record(
            .jobDeleted(
                JobDeleted(taskRunId: taskRunId, attempt: attempt, name: plan.recordedJobName, alreadyGone: !deleted)))
    }

    private func cleanStaging(_ state: AttemptState) async throws {
        guard plan.deleteWhenDone, let bucket = plan.started.bucket, !state.stagingCleaned else { return }
        let deleted: Int
        do {
            deleted = try await services.storage.deleteAll(bucket: bucket, prefix: plan.prefix)
        } catch let error as GoogleAPIError where error.httpStatus == 404 {
            // No bucket, so nothing of the attempt in it (an attempt replaced before anything was staged).
            deleted = 0
        }
        try await recorder.record(
            .stagingCleaned(
                StagingCleaned(taskRunId: taskRunId, attempt: attempt, prefix: plan.prefix, objectsDeleted: deleted)))
    }

    /// Stops a running job (cancel or timeout): delete it, then clean up as after any end.
    private func kill(reason: String) async throws {
        let state = try await attemptState()
        if state.jobName != nil || state.createRequested {
            try await teardown(deleteJob: true, reason: reason)
        } else if plan.deleteWhenDone {
            try await teardown(deleteJob: false, reason: reason)
        }
    }

    static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        return seconds >= 1 ? String(format: "%.1f s", seconds) : String(format: "%.0f ms", seconds * 1000)
    }
}

/// The client-side deadline of an attempt passed.
struct AttemptTimeout: Error {
    var limit: Duration
}

/// Batch no longer knows a job the ledger says was created.
public struct JobVanished: Error, CustomStringConvertible {
    public var name: String
    public var description: String { "Batch no longer knows job \(name) (deleted, or expired after 60 days)" }
}

/// Runs cleanup even when the surrounding task was cancelled. The cleanup is a new task that keeps the
/// surrounding task's task-local values (the execution and task run whose retries it records).
func withoutCancellation<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task { try await body() }.value
}
