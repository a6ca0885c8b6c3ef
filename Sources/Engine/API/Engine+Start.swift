import Foundation
import Ledger

extension Engine {
    /// Starts a new execution of `request.flow` and drives it to its end. Returns its outcome (a failed task is
    /// an outcome, not an error; so is a kill: CANCELLED); throws `EngineFailure` when it could not run (a flow,
    /// input or template that cannot run, recorded as FAILED when the execution had started; no credentials; a
    /// Google API that refused after retries; the ledger).
    public func start(_ request: StartRequest, observer: EngineObserver = .silent) async throws(EngineFailure)
        -> ExecutionOutcome
    {
        let id = request.executionId ?? Self.newExecutionID()
        do {
            return try await running.drive(id) { [self] in
                try await targets.using(request.backend) { resolved in
                    try await drive(request, id: id, on: resolved, observer: observer)
                }
            }
        } catch {
            throw EngineFailure(error)
        }
    }

    private func drive(_ request: StartRequest, id: String, on resolved: ResolvedTarget, observer: EngineObserver)
        async throws -> ExecutionOutcome
    {
        if !resolved.hasDefaultCredentials, !request.flow.hasServiceAccountKeys {
            throw EngineFailure.noGoogleCredentials
        }
        let target = resolved.target
        let store = try ledger.store(.create)
        if request.reportsInterruptedExecutions {
            let interrupted = try InterruptedExecutions.count(in: store)
            if interrupted > 0 { observer.progress(.interruptedExecutionsFound(count: interrupted)) }
        }
        let flow = request.flow.flow
        observer.progress(
            .started(executionId: id, namespace: flow.namespace.value, flowId: flow.id.value, target: target.summary))
        var configuration = RunConfiguration(
            target: target, secrets: request.secrets, environment: environment,
            outputDirectory: request.outputDirectory.standardizedFileURL,
            namespaceFilesDirectory: request.namespaceFilesDirectory, observer: observer.events(id),
            notice: observer.notice)
        configuration.sharedServices = await shared.registry(for: target)
        configuration.requestedBy = request.requestedBy
        configuration.labels = request.labels
        configuration.flowRevision = request.flowRevision
        configuration.trigger = request.trigger
        let state = try await ExecutionRunner(store: store, configuration: configuration).run(
            flow: flow, flowPath: request.flow.source.path, source: request.flow.source.text,
            inputs: request.inputs, files: request.files, executionId: id)
        return ExecutionOutcome(state)
    }
}
