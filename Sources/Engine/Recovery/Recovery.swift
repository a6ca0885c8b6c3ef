import Foundation
import Ledger
import Templates

/// Drives interrupted executions to their end, several at once (at most `RecoveryRequest.concurrency`), sharing
/// one view of Batch's jobs (`JobDirectory`: one `jobs.list` per location instead of a `jobs.get` per job) and
/// one service registry per recorded endpoint (one job watcher per location, one log reader per project).
/// Each execution runs on the target its `ExecutionStarted` recorded, which the host's `TargetResolver` gives.
struct Recovery {
    let store: EventStore
    let targets: any TargetResolver
    let environment: [String: String]
    let request: RecoveryRequest
    let observer: EngineObserver
    let running: RunningExecutions
    /// The engine's registries, shared with the executions it starts.
    let shared: SharedRegistries

    /// Resumes `ids` (an execution this process drives now is left to it); one outcome each, by id. Throws only
    /// when the ledger cannot say which executions were imported.
    func run(_ ids: [String]) async throws -> RecoveryReport {
        let driving = Set(running.ids)
        let (drive, refused) = try screen(ids.filter { !driving.contains($0) })
        let directory = JobDirectory()
        let clock = ContinuousClock()
        let started = clock.now
        let limit = request.concurrency
        let outcomes = await withTaskGroup(of: RecoveryOutcome.self) { group in
            var results: [RecoveryOutcome] = []
            var next = 0
            func add() {
                let id = drive[next]
                next += 1
                group.addTask { await resumeOne(id, directory: directory, shared: shared) }
            }
            while next < min(drive.count, limit) { add() }
            while let outcome = await group.next() {
                results.append(outcome)
                if next < drive.count { add() }
            }
            return results
        }
        let elapsed = clock.now - started
        let lists = await directory.listCalls
        let gets = await directory.getCalls
        if !drive.isEmpty {
            observer.progress(
                .reconciled(executions: drive.count, jobsListCalls: lists, jobsGetCalls: gets, elapsed: elapsed))
        }
        return RecoveryReport(
            outcomes: (outcomes + refused).sorted { $0.executionId < $1.executionId }, driven: drive.count,
            jobsListCalls: lists, jobsGetCalls: gets)
    }

    /// Splits `ids` into those to drive and the imported ones left alone (unless the request includes them).
    private func screen(_ ids: [String]) throws -> (drive: [String], refused: [RecoveryOutcome]) {
        var drive: [String] = []
        var refused: [RecoveryOutcome] = []
        for id in ids {
            guard let origin = try ImportedHistory.origin(of: id, in: store) else {
                drive.append(id)
                continue
            }
            if request.includeImported {
                observer.progress(.drivingImported(executionId: id, origin: origin))
                drive.append(id)
                continue
            }
            observer.progress(.refusedImported(executionId: id, origin: origin))
            refused.append(RecoveryOutcome(executionId: id, result: .refusedImported(origin)))
        }
        return (drive, refused)
    }

    /// Resumes one execution; never throws (a failure is an outcome), and reports the outcome as it is known.
    private func resumeOne(_ id: String, directory: JobDirectory, shared: SharedRegistries) async -> RecoveryOutcome {
        let result: RecoveryOutcome.Result
        do {
            if let state = try store.executionState(id), let started = state.started {
                if state.isTerminal {
                    result = .alreadyTerminal(state)
                } else {
                    observer.progress(
                        .resuming(executionId: id, namespace: started.namespace, flowId: started.flowId))
                    result = try await running.drive(id) { [self] in
                        try await targets.using(started.backend) { resolved in
                            try await resume(
                                id, started: started, on: resolved.target, directory: directory, shared: shared)
                        }
                    }
                }
            } else {
                result = .failed(.noSuchExecution(id: id, ledger: store.name))
            }
        } catch {
            result = .failed(EngineFailure(error))
        }
        let outcome = RecoveryOutcome(executionId: id, result: result)
        observer.progress(.recovered(outcome))
        return outcome
    }

    /// Resumes one execution on `target`, with the recovery's shared job directory and registries.
    private func resume(
        _ id: String, started: ExecutionStarted, on target: CloudTarget, directory: JobDirectory,
        shared: SharedRegistries
    ) async throws -> RecoveryOutcome.Result {
        var configuration = RunConfiguration(
            target: target, secrets: request.secrets, environment: environment,
            outputDirectory: URL(fileURLWithPath: started.outputDirectory).deletingLastPathComponent(),
            namespaceFilesDirectory: nil, observer: observer.events(id), notice: observer.notice)
        configuration.jobDirectory = directory
        configuration.sharedServices = await shared.registry(for: target)
        switch try await ExecutionRunner(store: store, configuration: configuration).resume(id) {
        case .finished(let final): return .finished(final)
        case .alreadyTerminal(let final): return .alreadyTerminal(final)
        case .heldBy(let holder): return .held(holder)
        }
    }
}
