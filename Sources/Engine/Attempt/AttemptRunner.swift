import Foundation
import GoogleCloud
import Ledger

/// Drives one task attempt through stage → submit → watch → collect → teardown. Each step records its intent,
/// performs the effect with an idempotency key, and records the outcome; the ledger alone tells where the
/// attempt stands (`AttemptState`), so a later process can continue it.
struct AttemptRunner {
    let plan: AttemptPlan
    let services: CloudServices
    let recorder: ExecutionRecorder
    let watcher: BatchWatcher
    let logs: LogMultiplexer
    let logCap: Int
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
            current = try await attemptState()
            if let bucket, !plan.uploads.isEmpty, current.jobName == nil {
                try await stage(bucket: bucket, state: current)
            }
            current = try await attemptState()
            let job = try await submit(state: current)
            let finished = try await watch(job)
            let name = finished.name ?? plan.jobName
            return try await conclude(
                name: name, jobState: finished.status?.state.value ?? .unspecified,
                events: finished.status?.statusEvents ?? [])
        } catch is CancellationError {
            try await withoutCancellation { try await kill(reason: "cancelled by the user") }
            return .cancelled(reason: "cancelled by the user")
        } catch let timeout as AttemptTimeout {
            try await withoutCancellation { try await kill(reason: "timed out after \(timeout.limit)") }
            let reason = "timed out after \(Self.format(timeout.limit))"
            return .failed(reason: reason, exitCode: nil, preempted: false)
        }
    }

    /// Recovery: compares what the ledger says with what Batch says, records it, and either finishes an attempt
    /// whose job already ended (returning its outcome) or returns nil to continue the steps from where they are.
    private func reconcile(_ state: AttemptState) async throws -> AttemptOutcome? {
        let recorded = Reconciliation.Recorded(state)
        var observed = Reconciliation.Observed.nothingAsked
        switch Reconciliation.question(recorded, bucket: plan.started.bucket) {
        case .job:
            let job: BatchJob?
            if let directory {
                job = try await directory.job(plan.jobName, in: plan.location, client: services.batch)
            } else {
                job = try await services.batch.getJob(plan.jobName)
            }
            observed = job.map { .job($0.status?.state.value ?? .unspecified) } ?? .noJob
        case .objects(let bucket):
            var present = 0
            for object in state.uploadRequested
            where try await services.storage.metadata(bucket: bucket, name: object) != nil {
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
                    let object: StorageObject
                    if let data = item.data {
                        object = try await services.storage.upload(
                            data: data, bucket: bucket, name: item.object, ifGenerationMatch: 0)
                    } else {
                        object = try await services.storage.upload(
                            file: item.file!, bucket: bucket, name: item.object, ifGenerationMatch: 0)
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

    private func submit(state: AttemptState) async throws -> BatchJob {
        if state.jobName != nil {
            // Created before (this process or an earlier one): continue with it. The recorded name is masked
            // when the project is a secret; the real one comes from the plan.
            if let job = try await services.batch.getJob(plan.jobName) { return job }
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
        let creation = try await services.batch.createJob(
            plan.job, in: plan.location, jobID: plan.started.jobId, requestID: plan.started.requestId)
        let job = creation.job
        let adopted: Bool
        if case .adopted = creation { adopted = true } else { adopted = false }
        try await recorder.record(
            .jobCreated(
                JobCreated(
                    taskRunId: taskRunId, attempt: attempt, name: plan.recordedJobName, uid: job.uid ?? "",
                    adopted: adopted)))
        return job
    }

    // MARK: - Watch

    private func watch(_ created: BatchJob) async throws -> BatchJob {
        let name = created.name ?? plan.jobName
        let uid = created.uid ?? ""
        let deadline = ContinuousClock.now + plan.timeout
        var state = try await attemptState()
        var cursor = LogCursor.start
        if let time = state.logCursorTime, let timestamp = LogTimestamp(time) {
            cursor = LogCursor(timestamp: timestamp, insertId: state.logCursorInsertId ?? "")
        }
        await logs.register(uid, after: cursor)
        await watcher.watch(name)
        defer {
            Task { [logs, watcher] in
                await logs.unregister(uid)
                await watcher.unwatch(name)
            }
        }
        var interval = plan.pollInterval
        var seenEvents = state.statusEventsSeen
        var job = created
        while true {
            try Task.checkCancellation()
            guard let polled = try await watcher.job(name) else { throw JobVanished(name: plan.mask(name)) }
            job = polled
            let jobState = job.status?.state.value ?? .unspecified
            let events = job.status?.statusEvents ?? []
            let fresh = events.count > seenEvents ? Array(events[seenEvents...]) : []
            seenEvents = max(seenEvents, events.count)
            // Every poll is recorded, compactly: the state and only the status events not seen before. The log
            // lines read in the same round go first, so they show before the state they led to.
            var batch: [ExecutionEvent] = []
            if jobState == .running || jobState.isTerminal {
                batch += try await readLogs(uid)
            }
            batch.append(
                .jobPolled(
                    JobPolled(
                        taskRunId: taskRunId, attempt: attempt, state: jobState.name,
                        newStatusEvents: fresh.map(Self.change))))
            try await recorder.record(batch)
            if jobState.isTerminal { break }
            if ContinuousClock.now >= deadline { throw AttemptTimeout(limit: plan.timeout) }
            try await Task.sleep(for: min(interval, max(.milliseconds(1), deadline - ContinuousClock.now)))
            interval = min(plan.maxPollInterval, interval * 3 / 2)
            state = try await attemptState()
        }
        // Late log entries: read until a quiet round after the grace period.
        let graceEnd = ContinuousClock.now + plan.logGrace
        while true {
            let batch = try await readLogs(uid)
            if !batch.isEmpty { try await recorder.record(batch) }
            if ContinuousClock.now >= graceEnd && batch.isEmpty { break }
            if plan.logGrace == .zero { break }
            try await Task.sleep(for: min(plan.pollInterval, .milliseconds(500)))
        }
        return job
    }

    /// Reads the job's new log lines and turns them into events: the lines (protocol lines parsed, not stored as
    /// lines) and what the protocol lines carried. A line is parsed as the job printed it, before any masking (a
    /// secret such as `outputs` or `"` must not break the protocol); the recorder masks the events' free text.
    private func readLogs(_ uid: String) async throws -> [ExecutionEvent] {
        let entries = try await logs.drain(uid)
        guard let last = entries.last else { return [] }
        var lines: [LogLine] = []
        var vars: [String: JSONValue] = [:]
        var metrics: [Metric] = []
        var warnings: [String] = []
        var budget = LogBudget(cap: logCap, stored: await recorder.state.storedLogBytes)
        for entry in entries {
            let text = entry.text
            let stderr = ["ERROR", "CRITICAL", "ALERT", "EMERGENCY"].contains(entry.severity)
            switch OutputProtocol.parse(text) {
            case .message(let message):
                vars.merge(message.outputs) { _, new in new }
                metrics += message.metrics
                for log in message.logs {
                    lines.append(LogLine(time: entry.timestamp, severity: log.level, text: log.message, stderr: stderr))
                }
                if stderr {
                    // Kestra counts stderr protocol lines toward warningOnStdErr too; keep the fact, not the line.
                    lines.append(LogLine(time: entry.timestamp, severity: "ERROR", text: text, stderr: true))
                }
            case .invalid:
                // The warning quotes the start of the line: cut it from the masked line, so that the cut cannot
                // leave part of a secret.
                if case .invalid(let warning) = OutputProtocol.parse(await recorder.masker.mask(text)) {
                    warnings.append(warning)
                } else {
                    warnings.append("Invalid outputs")
                }
                lines.append(LogLine(time: entry.timestamp, severity: entry.severity, text: text, stderr: stderr))
            case .plain:
                lines.append(LogLine(time: entry.timestamp, severity: entry.severity, text: text, stderr: stderr))
            }
        }
        let (kept, dropped) = budget.admit(lines)
        var batch: [ExecutionEvent] = [
            .logLinesReceived(
                LogLinesReceived(
                    taskRunId: taskRunId, attempt: attempt, lines: kept, droppedLines: dropped,
                    cursorTime: last.timestamp, cursorInsertId: last.insertId))
        ]
        if !vars.isEmpty || !metrics.isEmpty || !warnings.isEmpty {
            batch.append(
                .outputsParsed(
                    OutputsParsed(
                        taskRunId: taskRunId, attempt: attempt, vars: vars, metrics: metrics, warnings: warnings)))
        }
        return batch
    }

    static func change(_ event: StatusEvent) -> JobStatusChange {
        JobStatusChange(
            type: event.type, description: event.description, time: event.eventTime,
            taskState: event.taskState?.value.name,
            exitCode: event.taskExecution?.exitCode)
    }

    // MARK: - Collect and teardown

    private func conclude(name: String, jobState: JobState, events: [StatusEvent]) async throws -> AttemptOutcome {
        let recorded = try await attemptState()
        var exitCode = recorded.exitCode
        let alreadyObserved = exitCode != nil
        if exitCode == nil {
            if let tasks = try? await services.batch.listTasks(ofJob: name), let code = tasks.first?.exitCode {
                exitCode = code
            } else if let code = events.last(where: { $0.taskExecution?.exitCode != nil })?.taskExecution?.exitCode {
                exitCode = code
            }
        }
        if jobState == .succeeded && exitCode == nil { exitCode = 0 }
        if let exitCode, !alreadyObserved {
            try await recorder.record(
                .exitCodeObserved(
                    ExitCodeObserved(
                        taskRunId: taskRunId, attempt: attempt, exitCode: exitCode,
                        meaning: BatchExitCode.meaning(of: exitCode))))
        }
        if let bucket = plan.started.bucket, plan.collectsAnything {
            try await collect(bucket: bucket)
        }
        let succeeded = jobState == .succeeded
        try await teardown(deleteJob: succeeded && plan.deleteWhenDone, reason: "task completed")
        if succeeded {
            let state = await recorder.state.taskRun(taskRunId)?.attempts.first { $0.attempt == attempt }
            let warned = plan.warningOnStdErr && (state?.stderrLines ?? 0) > 0
            return .succeeded(state: warned ? "WARNING" : "SUCCEEDED")
        }
        let reason: String
        if let exitCode {
            reason = "job \(plan.started.jobId) ended \(jobState.name) with \(BatchExitCode.describe(exitCode))"
        } else {
            reason = "job \(plan.started.jobId) ended \(jobState.name)"
        }
        return .failed(reason: plan.mask(reason), exitCode: exitCode, preempted: exitCode == 50001)
    }

    /// Downloads what the job wrote that the output globs select, verifying each file's CRC32C. An object whose
    /// name would not make a file inside the task run's folder is not downloaded; the refusal is recorded.
    private func collect(bucket: String) async throws {
        let state = try await attemptState()
        let objects = try await services.storage.listAll(bucket: bucket, prefix: plan.prefix)
        let wanted = objects.filter { object in
            let relative = String(object.name.dropFirst(plan.prefix.count))
            return !relative.isEmpty && !relative.hasSuffix("/") && plan.collects(relative)
                && state.downloaded[relative] == nil && state.refusedOutputs[object.name] == nil
        }
        for object in wanted {
            let relative = String(object.name.dropFirst(plan.prefix.count))
            let destination: URL
            do {
                destination = try OutputPath.destination(for: relative, in: plan.outputFolder)
            } catch let refusal as OutputPathRefusal {
                try await recorder.record(
                    .outputFileRefused(
                        OutputFileRefused(
                            taskRunId: taskRunId, attempt: attempt, object: object.name, reason: refusal.reason)))
                continue
            }
            let download = try await services.storage.download(bucket: bucket, name: object.name, to: destination)
            try await recorder.record(
                .outputFileDownloaded(
                    OutputFileDownloaded(
                        taskRunId: taskRunId, attempt: attempt, name: relative, object: object.name,
                        localPath: destination.standardizedFileURL.path, size: download.size,
                        crc32c: CRC32C.base64(download.crc32c))))
        }
    }

    /// Deletes the job (when asked) and the attempt's bucket folder (when `delete`), recording both. The two are
    /// independent, so they run at the same time.
    func teardown(deleteJob: Bool, reason: String) async throws {
        let state = try await attemptState()
        async let job: Void = removeJob(state, deleteJob: deleteJob, reason: reason)
        async let staging: Void = cleanStaging(state)
        try await job
        try await staging
    }

    private func removeJob(_ state: AttemptState, deleteJob: Bool, reason: String) async throws {
        guard deleteJob, state.jobName != nil, !state.jobDeleted else { return }
        let name = plan.jobName
        let requestID = plan.started.requestId + "-delete"
        if !state.deleteRequested {
            try await recorder.record(
                .jobDeleteRequested(
                    JobDeleteRequested(
                        taskRunId: taskRunId, attempt: attempt, name: plan.recordedJobName, requestId: requestID,
                        reason: reason)))
        }
        let operation = try await services.batch.deleteJob(name, requestID: requestID, reason: reason)
        if let operation {
            _ = try? await services.batch.waitForOperation(
                operation, every: plan.pollInterval / 2, deadline: .seconds(60))
        }
        try await recorder.record(
            .jobDeleted(
                JobDeleted(
                    taskRunId: taskRunId, attempt: attempt, name: plan.recordedJobName, alreadyGone: operation == nil)))
    }

    private func cleanStaging(_ state: AttemptState) async throws {
        guard plan.deleteWhenDone, let bucket = plan.started.bucket, !state.stagingCleaned else { return }
        let deleted = try await services.storage.deleteAll(bucket: bucket, prefix: plan.prefix)
        try await recorder.record(
            .stagingCleaned(
                StagingCleaned(taskRunId: taskRunId, attempt: attempt, prefix: plan.prefix, objectsDeleted: deleted)))
    }

    /// Stops a running job (cancel or timeout): delete it, then clean up as after any end.
    private func kill(reason: String) async throws {
        let state = try await attemptState()
        if state.jobName != nil {
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

/// Runs cleanup even when the surrounding task was cancelled.
func withoutCancellation<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task.detached { try await body() }.value
}
