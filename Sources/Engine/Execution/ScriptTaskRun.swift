import Flows
import Foundation
import GoogleCloud
import Ledger
import Templates

/// One script task (or one ForEach iteration of it): attempts until one succeeds, the retry policy gives up,
/// or the user cancels.
struct ScriptTaskRun {
    let context: ExecutionContext
    let task: ScriptTask
    let scope: ExecutionContext.Scope

    var taskRunId: String { task.id.value + scope.suffix }

    /// True when the flow may go on (success, warning, or an allowed failure). Every Google call it makes has
    /// its retries recorded against this task run.
    func run() async throws -> Bool {
        let retries = RetryRecording.Context(recorder: context.recorder, taskRunId: taskRunId)
        return try await RetryRecording.$current.withValue(retries) { try await attempts() }
    }

    private func attempts() async throws -> Bool {
        guard let runner = task.taskRunner else {
            throw FlowProblems([
                "\(task.common.location): task \(task.id.value) has no taskRunner; BatchLedger runs script tasks on "
                    + "Google Batch: add taskRunner with type \(BatchRunner.typeName)"
            ])
        }
        let clock = context.configuration.clock
        let firstStart = clock.now
        let existing = await context.recorder.state.taskRun(taskRunId)
        if let existing, existing.isTerminal {
            // Recorded in full already (a resumed execution): its outcome stands.
            switch existing.state {
            case .succeeded, .warning: return true
            case .cancelled where SiblingRuns.wasStoppedBySibling(existing): return false
            case .cancelled: throw CancellationError()
            default: return existing.allowedFailure
            }
        }
        var attempt = existing?.attempts.count ?? 0
        var resume: AttemptStarted?
        if let last = existing?.attempts.last, last.outcome == nil, let started = last.started {
            // An attempt that a crash interrupted: continue it, with the names it recorded.
            resume = started
            attempt -= 1
        }
        var spotPreemptions = AttemptRetry.preemptions(in: existing?.attempts ?? [])
        var provisioning = AttemptRetry.provisioning(
            requested: resume.map { GoogleCloud.ProvisioningModel(name: $0.provisioningModel) }
                ?? Self.model(runner.provisioningModel.value),
            spotPreemptions: spotPreemptions,
            spotAttemptsBeforeStandard: context.configuration.spotAttemptsBeforeStandard)
        while true {
            attempt += 1
            let outcome: AttemptOutcome
            let masker: SecretMasker
            do {
                (outcome, masker) = try await runAttempt(
                    attempt, runner: runner, provisioning: provisioning, resume: resume)
                resume = nil
            } catch let problem as TemplateError {
                let masked = problem.masked(by: await context.recorder.masker)
                try await recordFailure(attempt: attempt, reason: masked.description, exitCode: nil, willRetry: false)
                throw FlowProblems([masked.description])
            } catch let problems as FlowProblems {
                try await recordFailure(attempt: attempt, reason: problems.description, exitCode: nil, willRetry: false)
                throw problems
            } catch  where error is CancellationError || Task.isCancelled {
                if KillNote.isDetaching { throw CancellationError() }
                try await withoutCancellation { [context, taskRunId, attempt] in
                    try await context.recorder.record(
                        .taskCancelled(
                            TaskCancelled(taskRunId: taskRunId, attempt: attempt, reason: KillNote.reason)))
                }
                throw CancellationError()
            } catch {
                // A Google call refused after its retries, or local I/O. A run records the task as failed;
                // recovery leaves it as it is, so that a later recover can continue it.
                if !context.recovering {
                    try await recordFailure(attempt: attempt, reason: "\(error)", exitCode: nil, willRetry: false)
                }
                throw error
            }
            switch outcome {
            case .succeeded(let state):
                try await context.recorder.record(
                    .taskSucceeded(TaskSucceeded(taskRunId: taskRunId, attempt: attempt, state: state)))
                return true
            case .cancelled(let reason):
                try await withoutCancellation { [context, taskRunId, attempt] in
                    try await context.recorder.record(
                        .taskCancelled(TaskCancelled(taskRunId: taskRunId, attempt: attempt, reason: reason)))
                }
                throw CancellationError()
            case .replaced(let reason):
                // Not a failure of the task's script: the retry policy is not asked, the next attempt starts now.
                try await recordFailure(
                    attempt: attempt, reason: masker.mask(reason), exitCode: nil, willRetry: true)
            case .failed(let reason, let exitCode, let preempted):
                let next = AttemptRetry.afterFailure(
                    preempted: preempted, provisioning: provisioning, spotPreemptions: spotPreemptions,
                    spotAttemptsBeforeStandard: context.configuration.spotAttemptsBeforeStandard,
                    retry: task.common.retry, attempt: attempt, elapsed: firstStart.duration(to: clock.now))
                (provisioning, spotPreemptions) = (next.provisioning, next.spotPreemptions)
                let delay = next.delay
                let maskedReason = masker.mask(reason)
                try await recordFailure(
                    attempt: attempt, reason: maskedReason, exitCode: exitCode, willRetry: delay != nil)
                guard let delay else { return task.common.allowFailure.value }
                try await clock.sleep(for: delay)
            }
        }
    }

    private func recordFailure(attempt: Int, reason: String, exitCode: Int?, willRetry: Bool) async throws {
        guard await context.recorder.state.taskRun(taskRunId) != nil else {
            // The attempt never started (a rendering problem before AttemptStarted): nothing to attach to.
            return
        }
        try await context.recorder.record(
            .taskFailed(
                TaskFailed(
                    taskRunId: taskRunId, attempt: attempt, reason: reason, exitCode: exitCode, willRetry: willRetry,
                    allowed: !willRetry && task.common.allowFailure.value)))
    }

    static func model(_ model: BatchRunner.ProvisioningModel) -> GoogleCloud.ProvisioningModel {
        switch model {
        case .standard: return .standard
        case .spot: return .spot
        case .preemptible: return .preemptible
        }
    }

    /// Renders, records `AttemptStarted`, and drives the attempt.
    private func runAttempt(
        _ attempt: Int, runner: BatchRunner, provisioning: GoogleCloud.ProvisioningModel, resume: AttemptStarted?
    ) async throws -> (AttemptOutcome, SecretMasker) {
        let configuration = context.configuration
        let state = await context.recorder.state
        let started = context.started
        var generator = SystemRandomNumberGenerator()
        let secretsUsed = try await context.recorder.secretLedger()
        let variables = context.variables(
            taskID: task.id.value, type: task.common.type.value, scope: scope, attempt: attempt, state: state)
        let selected =
            (task.namespaceFiles?.enabled.value ?? false)
            ? context.namespaceFiles.filter { task.namespaceFiles!.selects($0.key) } : [:]
        let renderer = TaskRenderer(
            task: task, runner: runner, baseVariables: variables, secrets: configuration.secrets,
            environment: configuration.environment, namespaceFiles: selected,
            knownFiles: OutputsView.files(of: state).merging(InputFiles.files(of: started)) { output, _ in output },
            readNamespaceFile: Self.namespaceReader(configuration.namespaceFilesDirectory), text: context.text)
        let placement = try renderer.placement(secretsUsed)
        if let resume {
            try secretsUsed.checkUnchanged(resume.projectSecret, now: placement.projectSecret, property: "projectId")
            try secretsUsed.checkUnchanged(resume.bucketSecret, now: placement.bucketSecret, property: "bucket")
        }
        let recorded = configuration.recordedNames?(taskRunId, attempt)
        let wid = resume?.workingDirId ?? recorded?.workingDirId ?? Naming.workingDirID(using: &generator)
        let jobID =
            resume?.jobId
            ?? Naming.jobID(
                namespace: started.namespace, flowId: started.flowId, taskId: task.id.value,
                executionId: started.executionId,
                taskRunId: taskRunId, attempt: attempt)
        let timeout = try taskTimeout(runner, renderer, secretsUsed)
        let labels = try renderer.jobLabels(
            namespace: started.namespace, flowId: started.flowId, taskId: task.id.value,
            executionId: started.executionId, taskRunId: taskRunId, attempt: attempt, secretsUsed: secretsUsed)
        // The output directory's id is decided with the working directory's and recorded with it; an attempt
        // recorded before it was recorded derives it from the working directory, as it did then.
        let outputDirID =
            task.outputDirectory.value ? (resume?.outputDirId ?? Naming.outputDirID(forWorkingDir: wid)) : nil
        let attemptStarted = AttemptStarted(
            taskRunId: taskRunId, taskId: task.id.value, value: scope.value.map(Self.text), attempt: attempt,
            workingDirId: wid, jobId: jobID,
            requestId: resume?.requestId ?? recorded?.requestId ?? UUID().uuidString.lowercased(),
            project: placement.projectSecret == nil ? placement.project : "", projectSecret: placement.projectSecret,
            region: placement.region, bucket: placement.bucketSecret == nil ? placement.bucket : nil,
            bucketSecret: placement.bucketSecret, provisioningModel: provisioning.name, outputDirId: outputDirID,
            impersonatedServiceAccount: placement.impersonatedServiceAccount.map { secretsUsed.masker.mask($0) })
        let rendered = try renderer.render(
            started: attemptStarted, placement: placement, provisioningModel: provisioning, timeout: timeout,
            secretsUsed: secretsUsed, outputDirID: outputDirID, labels: labels)
        let mask = secretsUsed.masker
        if placement.bucket == nil && !rendered.uploads.isEmpty {
            configuration.notice(
                "\(task.id.value): \(rendered.uploads.count) input file(s) not uploaded: the task runner has no bucket")
        }
        await context.recorder.addSecrets(mask)
        if resume == nil {
            try await context.recorder.record(.attemptStarted(attemptStarted))
        }

        let services = try await context.registry.services(
            for: Identity(
                serviceAccountJSON: placement.serviceAccountJSON, scopes: placement.scopes,
                origin: "the serviceAccount of task \(task.id.value)",
                impersonatedServiceAccount: placement.impersonatedServiceAccount))
        let location = BatchLocation(project: placement.project, region: placement.region)
        let globs = rendered.outputGlobs
        let collection = OutputCollection(
            globs: globs, outputDirectory: outputDirID, syncWorkingDirectory: runner.syncWorkingDirectory.value)
        var planStarted = attemptStarted
        planStarted.bucket = placement.bucket
        let intervals = configuration.timing.intervals(
            checkInterval: runner.completionCheckInterval.isDefault
                ? nil : runner.completionCheckInterval.value.duration,
            waitForLog: runner.waitForLogInterval.isDefault ? nil : runner.waitForLogInterval.value.duration)
        let plan = AttemptPlan(
            started: planStarted, rendered: rendered.rendered, location: location, job: rendered.job,
            uploads: placement.bucket == nil ? [] : rendered.uploads,
            collection: collection,
            outputFolder: URL(fileURLWithPath: started.outputDirectory).appendingPathComponent(
                Self.folderName(taskRunId)),
            deleteWhenDone: runner.delete.value, timeout: timeout + configuration.timing.timeoutMargin,
            pollInterval: intervals.first, maxPollInterval: intervals.maximum, logGrace: intervals.logGrace,
            warningOnStdErr: try renderer.render(task.warningOnStdErr, renderer.context(variables), secretsUsed),
            mask: { mask.mask($0) }, resumeJobs: runner.resume.value)
        let attemptRunner = AttemptRunner(
            plan: plan, services: services, recorder: context.recorder,
            watcher: await context.registry.watcher(services, location: location),
            logs: await services.logs(placement.project), logCap: configuration.maxStoredLogBytes,
            clock: configuration.clock, staging: context.registry.staging, directory: configuration.jobDirectory)
        do {
            return (try await attemptRunner.run(resuming: resume != nil), mask)
        } catch  where error is CancellationError || Task.isCancelled {
            throw CancellationError()
        } catch let interruption as ReplayInterruption {
            // Decision replay stops here as the recorded process did: nothing is cleaned.
            throw interruption
        } catch {
            // A refused call or I/O failure mid-attempt: clean what can be cleaned, then report. A run records the
            // task run failed, so its job goes too; a recovery leaves it for the next one to continue.
            try? await withoutCancellation { [context] in
                try await attemptRunner.teardown(deleteJob: !context.recovering, reason: "failed")
            }
            throw MaskedError.masking(error, by: mask)
        }
    }

    /// The task's `timeout`, else the runner's `waitUntilCompletion`.
    private func taskTimeout(_ runner: BatchRunner, _ renderer: TaskRenderer, _ secretsUsed: TaskRenderer.SecretLedger)
        throws -> Duration
    {
        guard let timeout = task.common.timeout else { return runner.waitUntilCompletion.value.duration }
        switch timeout.value {
        case .value(let duration): return duration.duration
        case .template(let template):
            let text = try renderer.render(
                Located(template, at: timeout.location), renderer.context(renderer.baseVariables), secretsUsed)
            guard let duration = ISODuration.parse(text.trimmingCharacters(in: .whitespaces)) else {
                throw secretsUsed.problem(
                    "\(timeout.location): timeout rendered to '\(text)', not an ISO-8601 duration such as PT1H")
            }
            return duration.duration
        }
    }

    /// `read(path)` over the namespace folder, refusing paths that leave it (`..`, absolute, symbolic links).
    static func namespaceReader(_ folder: URL?) -> (@Sendable (String) throws -> String)? {
        folder.map(NamespaceFolder.reader)
    }

    static func text(_ value: TemplateValue) -> String {
        if case .string(let text) = value { return text }
        return value.json
    }

    /// The local folder of a task run's output files (`task[0]` → `task_0`).
    static func folderName(_ taskRunId: String) -> String {
        OutputPath.folderName(forTaskRun: taskRunId)
    }
}

/// An error whose text was masked for secrets.
public struct MaskedError: Error, CustomStringConvertible {
    public var description: String

    /// `error` with every secret value `masker` knows masked, keeping its structure where the engine's callers
    /// act on it: a Google API error stays a `GoogleAPIError` (its service, method, status and hint), a template
    /// error or the flow's problems keep their places in the flow, a ledger error stays a `LedgerError` (it holds
    /// no rendered text); anything else becomes its masked text.
    public static func masking(_ error: any Error, by masker: SecretMasker) -> any Error {
        switch error {
        case var google as GoogleAPIError:
            google.resource = masker.mask(google.resource)
            google.message = masker.mask(google.message)
            google.reason = google.reason.map(masker.mask)
            return google
        case let ledger as LedgerError:
            return ledger
        case let template as TemplateError:
            return template.masked(by: masker)
        case let problems as FlowProblems:
            return FlowProblems(problems.problems.map(masker.mask))
        default:
            return MaskedError(description: masker.mask("\(error)"))
        }
    }
}
