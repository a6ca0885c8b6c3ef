import Clocks
import Flows
import Foundation
import GoogleCloud
import Ledger
import Templates

/// Kills an execution that no process drives (its driver crashed or was stopped), holding its lease: every job
/// whose creation was requested and that was not deleted is deleted (looked up by its deterministic name, so one
/// whose creation was never confirmed goes too), every task run in flight is recorded cancelled, the `finally`
/// tasks of the blocks the kill interrupted run here (as Kestra runs them after a kill), and the execution ends
/// CANCELLED with who asked. The events are those a driver records when it is killed.
struct DriverlessKill {
    let store: EventStore
    let executionId: String
    let token: Int64
    let target: CloudTarget
    let secrets: SecretStore
    let requester: String
    /// The process environment (for the `envs` of `finally` tasks).
    var environment: [String: String] = [:]
    var clock: AnyClock<Duration> = .continuous

    /// Records the kill; returns the execution's final state.
    func run(_ state: ExecutionState, observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)?) async throws
        -> ExecutionState
    {
        guard let started = state.started else {
            throw EngineError.configuration("no execution \(executionId) in \(store.name)")
        }
        let recorder = ExecutionRecorder(
            store: store, executionId: executionId, state: state, leaseToken: token, observer: observer)
        let flow = try? ExecutionRunner.load(flowPath: started.flowPath, source: started.flowSource)
        let registry = ServiceRegistry(
            world: target.world, timing: target.timing, clock: clock, executionLabel: Naming.labelValue(executionId))
        let reason = "killed by \(requester)"
        let services = Services(registry: registry)
        for run in state.taskRuns where !run.isTerminal {
            if run.type != nil {
                // A core or flowable task run (no job of its own). A Subflow's child goes too: it is asked to
                // stop, so whoever resumes it (a recover, once this parent has ended) kills it at once.
                if let child = run.childExecutionId,
                    let childState = try store.executionState(child), !childState.isTerminal
                {
                    try await ExecutionControl.requestKill(child, by: requester, in: store)
                }
                try await recorder.record(
                    .taskCancelled(TaskCancelled(taskRunId: run.taskRunId, attempt: 1, reason: reason)))
                continue
            }
            guard let attempt = run.attempts.last, let attemptStarted = attempt.started else { continue }
            if attempt.outcome == nil {
                let deleteWhenDone = Self.deletesWhenDone(flow, taskId: run.taskId)
                try await stop(
                    attempt, started: attemptStarted, deleteWhenDone: deleteWhenDone, reason: reason,
                    services: services, recorder: recorder)
            }
            try await recorder.record(
                .taskCancelled(TaskCancelled(taskRunId: run.taskRunId, attempt: attempt.attempt, reason: reason)))
        }
        guard let flow else {
            // Its text no longer parses here (another version of BatchLedger started it): nothing more can run.
            try await recorder.record(
                .executionFinished(ExecutionFinished(state: .cancelled, requestedBy: requester)))
            return await recorder.state
        }
        let heartbeat = ExecutionRunner.heartbeat(store, every: target.timing.leaseHeartbeat, clock: clock)
        defer { heartbeat.cancel() }
        var configuration = RunConfiguration(
            target: target, secrets: secrets, environment: environment,
            outputDirectory: URL(fileURLWithPath: started.outputDirectory).deletingLastPathComponent(),
            namespaceFilesDirectory: started.namespaceFilesDirectory.map { URL(fileURLWithPath: $0) },
            observer: observer, clock: clock)
        configuration.requestedBy = started.requestedBy
        let execution = ExecutionContext(
            flow: flow, started: started, inputs: started.inputs.mapValues(Convert.templateValue),
            namespaceFiles: (try? NamespaceFolder.list(configuration.namespaceFilesDirectory)) ?? [:],
            recorder: recorder, configuration: configuration, registry: registry)
        return try await RetryRecording.$current.withValue(.init(recorder: recorder)) {
            try await execution.endKilled(by: requester)
        }
    }

    /// Deletes the attempt's job (when its creation was requested) and its staged files (when the runner deletes
    /// them), recording both as a driver's teardown does.
    private func stop(
        _ attempt: AttemptState, started: AttemptStarted, deleteWhenDone: Bool, reason: String, services: Services,
        recorder: ExecutionRecorder
    ) async throws {
        let project = try value(started.project, secret: started.projectSecret, property: "projectId")
        let location = BatchLocation(project: project, region: started.region)
        let recordedProject = started.projectSecret == nil ? project : SecretMasker.mask(for: project)
        let recordedName = BatchLocation(project: recordedProject, region: started.region).jobName(started.jobId)
        if attempt.createRequested && !attempt.jobDeleted {
            let requestID = started.requestId + "-delete"
            if !attempt.deleteRequested {
                try await recorder.record(
                    .jobDeleteRequested(
                        JobDeleteRequested(
                            taskRunId: started.taskRunId, attempt: started.attempt, name: recordedName,
                            requestId: requestID, reason: reason)))
            }
            let deleted = try await services.get(as: started).jobs.delete(
                location.jobName(started.jobId), requestID: requestID, reason: reason, deadline: .seconds(60))
            try await recorder.record(
                .jobDeleted(
                    JobDeleted(
                        taskRunId: started.taskRunId, attempt: started.attempt, name: recordedName,
                        alreadyGone: !deleted)))
        }
        if deleteWhenDone, !attempt.stagingCleaned,
            let bucket = try? value(started.bucket ?? "", secret: started.bucketSecret, property: "bucket"),
            !bucket.isEmpty
        {
            let prefix = started.workingDirId + "/"
            let deleted = try await services.get(as: started).storage.deleteAll(bucket: bucket, prefix: prefix)
            try await recorder.record(
                .stagingCleaned(
                    StagingCleaned(
                        taskRunId: started.taskRunId, attempt: started.attempt, prefix: prefix,
                        objectsDeleted: deleted)))
        }
    }

    /// A recorded value, or the secret that named it (the ledger keeps only its name).
    private func value(_ recorded: String, secret reference: SecretReference?, property: String) throws -> String {
        guard let secret = reference?.name else { return recorded }
        do {
            return try secrets.value(of: secret)
        } catch {
            throw EngineFailure.invalidRequest([
                "the \(property) of execution \(executionId) is the secret \(secret): give it (SECRET_\(secret) or "
                    + "--secrets-file) so that its jobs can be deleted"
            ])
        }
    }

    /// The task runner's `delete` of task `taskId` (true, Kestra's default, when the flow no longer reads).
    static func deletesWhenDone(_ flow: Flow?, taskId: String) -> Bool {
        guard let flow else { return true }
        for case .script(let script) in flow.allTasks where script.id.value == taskId {
            return script.taskRunner?.delete.value ?? true
        }
        return true
    }

    /// The services of the host's default credentials, made on first use: as the account an attempt impersonated
    /// when it recorded one (its jobs may be deletable by that account only), else as the credentials themselves.
    private final class Services: @unchecked Sendable {
        let registry: ServiceRegistry
        private var made: [String: WorldServices] = [:]

        init(registry: ServiceRegistry) {
            self.registry = registry
        }

        func get(as attempt: AttemptStarted) async throws -> WorldServices {
            // A secret named the account: the ledger holds it masked, so the default credentials act themselves.
            let account = attempt.impersonatedServiceAccount.flatMap { $0.hasPrefix("**masked") ? nil : $0 }
            if let known = made[account ?? ""] { return known }
            let services = try await registry.services(
                for: Identity(
                    serviceAccountJSON: nil, scopes: ["https://www.googleapis.com/auth/cloud-platform"],
                    origin: account.map { "the default credentials, impersonating \($0)" } ?? "the default credentials",
                    impersonatedServiceAccount: account))
            made[account ?? ""] = services
            return services
        }
    }
}
