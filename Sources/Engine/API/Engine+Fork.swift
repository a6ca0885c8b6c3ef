import Foundation
import Ledger

extension Engine {
    /// Starts a new execution from `request.parent` that runs again what `request.fromTask` names (a task anywhere
    /// in the flow and what follows it, or one ForEach iteration `task[value]`) and adopts the parent's other
    /// outcomes, where the parent ran unless the request says otherwise, with the request's inputs and flow
    /// revision when it gives them. The parent keeps its history; both point at each other. A parent loaded with `import` is
    /// refused (`importedExecution`) unless the request includes imported executions.
    public func fork(_ request: ForkRequest, observer: EngineObserver = .silent) async throws(EngineFailure)
        -> ExecutionOutcome
    {
        let parent = try state(of: request.parent, access: .existing)
        guard let started = parent.started else {
            throw .invalidRequest(["execution \(request.parent) has no ExecutionStarted event: it cannot be forked"])
        }
        let store = try ledger.store(.existing)
        let origin: ImportOrigin?
        do {
            origin = try ImportedHistory.origin(of: request.parent, in: store)
        } catch {
            throw EngineFailure(error)
        }
        if let origin {
            guard request.includeImported else { throw .importedExecution(id: request.parent, origin: origin) }
            observer.progress(.drivingImported(executionId: request.parent, origin: origin))
        }
        let id = request.executionId ?? Self.newExecutionID()
        do {
            return try await running.drive(id) { [self] in
                try await targets.using(request.backend ?? started.backend) { resolved in
                    let target = resolved.target
                    var configuration = RunConfiguration(
                        target: target, secrets: request.secrets, environment: environment,
                        outputDirectory: URL(fileURLWithPath: started.outputDirectory).deletingLastPathComponent(),
                        namespaceFilesDirectory: started.namespaceFilesDirectory.map { URL(fileURLWithPath: $0) },
                        observer: observer.events(id), notice: observer.notice)
                    configuration.sharedServices = await shared.registry(for: target)
                    configuration.requestedBy = request.requestedBy
                    // The fork keeps the parent's labels (a request's included) and its revision.
                    configuration.labels = started.labels
                    configuration.flowRevision =
                        request.flow == nil ? started.flowRevision : request.flowRevision
                    observer.progress(
                        .forked(
                            executionId: id, parent: request.parent, fromTask: request.fromTask,
                            target: target.summary))
                    let runner = ExecutionRunner(store: store, configuration: configuration)
                    return ExecutionOutcome(
                        try await runner.fork(
                            request.parent, fromTask: request.fromTask,
                            changes: .init(
                                inputs: request.inputs, files: request.files,
                                flow: request.flow.map { ($0.source.path, $0.source.text) }),
                            executionId: id))
                }
            }
        } catch {
            throw EngineFailure(error)
        }
    }
}
