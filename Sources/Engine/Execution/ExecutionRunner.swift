import Clocks
import Flows
import Foundation
import GoogleCloud
import Ledger
import Templates

/// Runs a flow: records `ExecutionStarted`, runs its tasks in order (Parallel and ForEach children
/// concurrently), each script task as attempts on Batch, and records how the execution ended.
public final class ExecutionRunner: Sendable {
    public let store: EventStore
    public let configuration: RunConfiguration

    public init(store: EventStore, configuration: RunConfiguration) {
        self.store = store
        self.configuration = configuration
    }

    /// Parses and checks a flow file; every problem as `FILE:LINE:COLUMN: message`.
    public static func load(flowPath: String, source: String) throws -> Flow {
        let result = FlowParser.parse(source: source, file: flowPath)
        let errors = result.diagnostics.filter { $0.severity == .error }
        guard let flow = result.flow, errors.isEmpty else {
            throw FlowProblems(errors.isEmpty ? ["\(flowPath): not a flow"] : errors.map(\.description))
        }
        if flow.disabled.value {
            throw FlowProblems(["\(flow.disabled.location): the flow is disabled (disabled: true)"])
        }
        return flow
    }

    /// Starts a new execution of `flow` and runs it to the end. Returns the final state; throws `FlowProblems`
    /// for a flow or template that cannot run (after recording the failure when the execution had started),
    /// and other errors for I/O or refused Google calls.
    public func run(
        flow: Flow, flowPath: String, source: String, inputs rawInputs: [String: String],
        files: [String: InputFileSource] = [:], executionId: String? = nil
    ) async throws -> ExecutionState {
        try await start(
            flow: flow, flowPath: flowPath, source: source,
            inputs: try InputResolver.resolve(flow.inputs, given: rawInputs, files: Set(files.keys)), files: files,
            executionId: executionId)
    }

    /// What a fork runs differently from its parent: new input values (text, as `--input` gives them, and files)
    /// and another text of the flow (a newer revision).
    public struct ForkChangesRequested: Sendable {
        public var inputs: [String: String] = [:]
        public var files: [String: InputFileSource] = [:]
        /// The flow's path and text, when the fork runs another text than the parent's.
        public var flow: (path: String, source: String)?

        public init(
            inputs: [String: String] = [:], files: [String: InputFileSource] = [:],
            flow: (path: String, source: String)? = nil
        ) {
            self.inputs = inputs
            self.files = files
            self.flow = flow
        }
    }

    /// Starts a new execution from `parentId` that runs again the task runs `from` names (a task anywhere in the
    /// flow, or one ForEach iteration `task[value]`: see `ForkPlan`) and adopts the parent's outcomes of every other
    /// one, with the parent's inputs and flow unless `changes` gives others. The parent keeps its history; both
    /// point at each other, and the fork records what it changed.
    public func fork(
        _ parentId: String, fromTask from: String, changes: ForkChangesRequested = .init(), executionId: String? = nil
    ) async throws -> ExecutionState {
        guard let parent = try store.executionState(parentId), let started = parent.started else {
            throw EngineError.configuration("no execution \(parentId) in \(store.name)")
        }
        let flowPath = changes.flow?.path ?? started.flowPath
        let source = changes.flow?.source ?? started.flowSource
        let flow = try Self.load(flowPath: flowPath, source: source)
        if flow.namespace.value != started.namespace || flow.id.value != started.flowId {
            throw FlowProblems([
                "fork --flow \(flowPath): the flow is \(flow.namespace.value)/\(flow.id.value), the execution's is "
                    + "\(started.namespace)/\(started.flowId): give a revision of the same flow"
            ])
        }
        let plan = try ForkPlan.make(from: from, flow: flow, parent: parent)
        let known = Set(flow.allTasks.map(\.id.value))
        var adopted: [TaskAdopted] = []
        for run in parent.taskRuns where !plan.rerun.contains(run.taskRunId) && known.contains(run.taskId) {
            guard run.isTerminal, run.state != .cancelled, run.state != .failed || run.allowedFailure else {
                throw FlowProblems([
                    "fork --from \(from): task run \(run.taskRunId) of \(parentId) ended \(run.state) and would be taken "
                        + "as it is; fork from \(run.taskRunId) (or an earlier task) instead"
                ])
            }
            adopted.append(
                TaskAdopted(
                    taskRunId: run.taskRunId, taskId: run.taskId, value: run.value, fromExecution: parentId,
                    parentSeq: parent.lastSeq, state: run.state, vars: run.vars, metrics: run.metrics,
                    outputFiles: run.outputFiles, exitCode: run.exitCode, jobId: run.jobName, type: run.type))
        }
        let inherited = started.inputs.mapValues(Convert.templateValue)
        let inputs = try InputResolver.resolve(
            flow.inputs, given: changes.inputs, files: Set(changes.files.keys), inherited: inherited)
        var inheritedFiles = started.inputFiles ?? [:]
        for name in changes.inputs.keys { inheritedFiles[name] = nil }
        let changedInputs = Set(changes.files.keys).union(
            Set(inputs.keys).union(inherited.keys).filter { name in
                changes.files[name] == nil && inputs[name] != inherited[name]
            }
        ).sorted()
        let flowChanged = source != started.flowSource
        let newDigest = SHA256Digest.of(Data(source.utf8)).hex
        let forkChanges = ForkChanges(
            from: from, inputsChanged: changedInputs,
            parentFlowRevision: flowChanged ? started.flowRevision : nil,
            parentFlowSHA256: flowChanged ? started.flowSHA256 : nil)
        return try await start(
            flow: flow, flowPath: flowPath, source: source, inputs: inputs, files: changes.files,
            inheritedFiles: inheritedFiles, executionId: executionId,
            forkedFrom: (parentId, parent.version, from), forkChanges: forkChanges,
            forkedFlow: flowChanged ? (newDigest, configuration.flowRevision ?? flow.revision?.value) : nil,
            adopted: adopted)
    }

    /// Starts the child execution of a Subflow task run and runs it to the end.
    func runChild(
        flow: Flow, flowPath: String, source: String, inputs: [String: TemplateValue], executionId: String,
        parent: (executionId: String, taskRunId: String)
    ) async throws -> ExecutionState {
        try await start(
            flow: flow, flowPath: flowPath, source: source, inputs: inputs, executionId: executionId, parent: parent)
    }

    private func start(
        flow: Flow, flowPath: String, source: String, inputs given: [String: TemplateValue],
        files: [String: InputFileSource] = [:], inheritedFiles: [String: InputFileRecord] = [:], executionId: String?,
        forkedFrom: (id: String, version: Int64, task: String)? = nil, forkChanges: ForkChanges? = nil,
        forkedFlow: (sha256: String, revision: Int?)? = nil, adopted: [TaskAdopted] = [],
        parent: (executionId: String, taskRunId: String)? = nil
    ) async throws -> ExecutionState {
        var generator = SystemRandomNumberGenerator()
        let id = executionId ?? Naming.executionID(using: &generator)
        var inputs = given
        var inputFiles = inheritedFiles
        if !files.isEmpty {
            let received = try InputFiles.receive(
                files, folder: configuration.outputDirectory.appendingPathComponent(id),
                namespace: flow.namespace.value, flowId: flow.id.value, executionId: id)
            inputs.merge(received.values) { _, file in file }
            inputFiles.merge(received.records) { _, file in file }
        }
        let namespaceFiles = try NamespaceFolder.list(configuration.namespaceFilesDirectory)
        if configuration.namespaceFilesDirectory == nil, flow.allTasks.contains(where: Self.wantsNamespaceFiles) {
            configuration.notice(
                "no namespace files: ./namespaces/\(flow.namespace.value)/ does not exist and --namespace-files "
                    + "was not given; tasks with namespaceFiles get none")
        }
        let started = ExecutionStarted(
            executionId: id, namespace: flow.namespace.value, flowId: flow.id.value,
            flowRevision: configuration.flowRevision ?? flow.revision?.value,
            flowPath: flowPath, flowSource: source, flowSHA256: SHA256Digest.of(Data(source.utf8)).hex,
            inputs: inputs.mapValues(Convert.json),
            labels: Dictionary(flow.labels.map { ($0.key.value, $0.value.value) }) { a, _ in a }
                .merging(configuration.labels) { _, requested in requested },
            backend: configuration.target.backend,
            outputDirectory: configuration.outputDirectory.appendingPathComponent(id).standardizedFileURL.path,
            namespaceFilesDirectory: configuration.namespaceFilesDirectory?.path,
            namespaceFileDigests: try namespaceFiles.reduce(into: [:]) { digests, file in
                digests[file.key] = try FileDigest.sha256Hex(of: file.value, role: "namespace file \(file.key)")
            }, forkedFrom: forkedFrom?.id, requestedBy: configuration.requestedBy,
            parentExecutionId: parent?.executionId, parentTaskRunId: parent?.taskRunId, trigger: configuration.trigger,
            inputFiles: inputFiles.isEmpty ? nil : inputFiles, forkChanges: forkChanges)
        let leased = try await holdingLease(id, owner: "batchledger run") { token in
            let recorder = ExecutionRecorder(
                store: store, executionId: id, leaseToken: token, observer: configuration.observer)
            try await recorder.record([.executionStarted(started)] + adopted.map { ExecutionEvent.taskAdopted($0) })
            if let forkedFrom {
                // The parent learns of its child; its state does not change.
                let forked = ExecutionForked(
                    child: id, fromTask: forkedFrom.task, requestedBy: configuration.requestedBy,
                    inputsChanged: forkChanges.map(\.inputsChanged).flatMap { $0.isEmpty ? nil : $0 },
                    flowSHA256: forkedFlow?.sha256, flowRevision: forkedFlow?.revision)
                try await store.append(
                    [try ExecutionEvent.executionForked(forked).encoded()],
                    to: forkedFrom.id, expectedVersion: .exactly(forkedFrom.version))
            }
            let execution = ExecutionContext(
                flow: flow, started: started, inputs: inputs, namespaceFiles: namespaceFiles, recorder: recorder,
                configuration: configuration,
                registry: configuration.sharedServices ?? registry(Naming.labelValue(id)))
            return try await RetryRecording.$current.withValue(.init(recorder: recorder)) {
                try await execution.runAll()
            }
        }
        guard case .done(let state) = leased else {
            throw EngineError.configuration("execution \(id) is already being driven by another process")
        }
        return state
    }

    /// How a body run under an execution's lease ended: its result, or the live process that holds the lease.
    private enum Leased<T> {
        case done(T)
        case held(LeaseHolder)
    }

    /// Runs `body` holding the lease of `stream`, renewed while it runs and given up however it ends (also when
    /// the task was cancelled: the release still commits).
    private func holdingLease<T: Sendable>(_ stream: String, owner: String, _ body: (Int64) async throws -> T)
        async throws -> Leased<T>
    {
        // The quotas every process of this ledger draws from are kept in it.
        await configuration.target.world.shareQuotas(through: LedgerRequestAllowance(store: store))
        let token: Int64
        switch try await store.acquireLease(stream, owner: owner, ttl: configuration.timing.leaseTTL) {
        case .heldBy(let holder): return .held(holder)
        case .acquired(let acquired): token = acquired
        }
        let heartbeat = Self.heartbeat(store, every: configuration.timing.leaseHeartbeat, clock: configuration.clock)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(token))
        } catch {
            result = .failure(error)
        }
        heartbeat.cancel()
        try? await store.releaseLease(stream, token: token)
        return .done(try result.get())
    }

    /// The services of one execution: its jobs are watched under its own label.
    private func registry(_ executionLabel: String) -> ServiceRegistry {
        ServiceRegistry(
            world: configuration.target.world, timing: configuration.timing, clock: configuration.clock,
            executionLabel: executionLabel)
    }

    /// Renews this process's leases every `interval` while the execution is driven: one renewal of every lease
    /// the process holds, shared by the executions whose heartbeats fall within half an interval of each other
    /// (so a thousand executions renew with about two ledger transactions per interval, not a thousand). A
    /// renewal that fails is tried again at the next beat; the lease's fencing token keeps a process that lost
    /// its lease from appending.
    static func heartbeat(_ store: EventStore, every interval: Duration?, clock: AnyClock<Duration>) -> Task<
        Void, Never
    > {
        Task.detached {
            guard let interval else { return }
            while !Task.isCancelled {
                do {
                    try await clock.sleep(for: interval)
                } catch {
                    return
                }
                _ = try? await store.heartbeatLeases(coveredWithin: interval / 2)
            }
        }
    }

    /// What `resume` did with an execution.
    public enum ResumeOutcome: Sendable {
        /// Driven to its end (whatever state that is).
        case finished(ExecutionState)
        /// Already ended before; nothing to do.
        case alreadyTerminal(ExecutionState)
        /// Another live process drives it.
        case heldBy(LeaseHolder)
    }

    /// The most recoveries that may fail before an execution is given up and marked FAILED.
    public static let recoveryFailureCap = 5

    /// Resumes an interrupted execution from its ledger: everything comes from `ExecutionStarted` and the fold;
    /// every interrupted step is reconciled with Batch and Cloud Storage before it continues. A failure is
    /// recorded (`RecoveryFailed`) and rethrown; after `recoveryFailureCap` of them the execution is marked FAILED.
    public func resume(_ executionId: String) async throws -> ResumeOutcome {
        guard let state = try store.executionState(executionId), let started = state.started else {
            throw EngineError.configuration("no execution \(executionId) in \(store.name)")
        }
        if state.isTerminal { return .alreadyTerminal(state) }
        let leased = try await holdingLease(executionId, owner: "batchledger recover") { token -> ResumeOutcome in
            // Read again under the lease: the process that held it before may have written since (on another
            // host, what this store read first may be behind what that process wrote before it stopped). Over a
            // shared ledger the cache first takes everything committed: a failure here stops the resume.
            if store.hasRecord { try await store.caughtUp() }
            guard let current = try store.executionState(executionId) else { return .finished(state) }
            if current.isTerminal { return .alreadyTerminal(current) }
            return .finished(try await resume(executionId, state: current, started: started, token: token))
        }
        switch leased {
        case .done(let outcome): return outcome
        case .held(let holder): return .heldBy(holder)
        }
    }

    /// Resumes an interrupted execution whose lease this process holds (`token`).
    private func resume(_ executionId: String, state: ExecutionState, started: ExecutionStarted, token: Int64)
        async throws -> ExecutionState
    {
        let recorder = ExecutionRecorder(
            store: store, executionId: executionId, state: state, leaseToken: token, observer: configuration.observer)
        do {
            let flow = try Self.load(flowPath: started.flowPath, source: started.flowSource)
            let folder =
                configuration.namespaceFilesDirectory
                ?? started.namespaceFilesDirectory.map { URL(fileURLWithPath: $0) }
            let namespaceFiles = try NamespaceFolder.list(folder)
            for (path, url) in namespaceFiles {
                let digest = try FileDigest.sha256Hex(of: url, role: "namespace file \(path)")
                if let recorded = started.namespaceFileDigests[path], recorded != digest {
                    configuration.notice("namespace file \(path) changed since the execution started")
                }
            }
            let execution = ExecutionContext(
                flow: flow, started: started, inputs: started.inputs.mapValues(Convert.templateValue),
                namespaceFiles: namespaceFiles, recorder: recorder, configuration: configuration,
                registry: configuration.sharedServices ?? registry(Naming.labelValue(executionId)),
                recovering: true)
            return try await RetryRecording.$current.withValue(.init(recorder: recorder)) {
                try await execution.runAll()
            }
        } catch let error as LedgerError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let failures = await recorder.state.recoveryFailures + 1
            let givenUp = failures >= Self.recoveryFailureCap || error is FlowProblems || error is InputFileUnavailable
            let masker = await recorder.masker
            let reason = masker.mask("\(error)")
            try await withoutCancellation {
                try await recorder.record(
                    .recoveryFailed(RecoveryFailed(reason: reason, failures: failures, givenUp: givenUp)))
                if givenUp, await !recorder.state.isTerminal {
                    try await recorder.record(.executionFinished(ExecutionFinished(state: .failed)))
                }
            }
            throw MaskedError.masking(error, by: masker)
        }
    }

    static func wantsNamespaceFiles(_ task: FlowTask) -> Bool {
        if case .script(let script) = task, let files = script.namespaceFiles { return files.enabled.value }
        return false
    }
}

/// The running state of one execution: its flow, context and services.
final class ExecutionContext: Sendable {
    let flow: Flow
    let started: ExecutionStarted
    let inputs: [String: TemplateValue]
    let namespaceFiles: [String: URL]
    let recorder: ExecutionRecorder
    let configuration: RunConfiguration
    let registry: ServiceRegistry
    /// True when resuming an interrupted execution (failures of the outside world do not end it).
    let recovering: Bool
    /// The flow file's text, to place template errors exactly inside the values that hold them.
    let text: FlowText

    init(
        flow: Flow, started: ExecutionStarted, inputs: [String: TemplateValue], namespaceFiles: [String: URL],
        recorder: ExecutionRecorder, configuration: RunConfiguration, registry: ServiceRegistry,
        recovering: Bool = false
    ) {
        self.recovering = recovering
        self.flow = flow
        self.text = FlowText(started.flowSource)
        self.started = started
        self.inputs = inputs
        self.namespaceFiles = namespaceFiles
        self.recorder = recorder
        self.configuration = configuration
        self.registry = registry
    }

    /// Where a task runs: the ForEach iterations around it.
    struct Scope: Sendable {
        /// Appended to task ids to make task-run ids (`[0]`, `[0][2]` …).
        var suffix = ""
        var value: TemplateValue?
        var iteration: Int?
        var parentRunId: String?
    }

    func runAll() async throws -> ExecutionState {
        var problem: Error?
        var succeeded = false
        var refused: RunState?
        do {
            // The FILE inputs go to the bucket first, also while the execution waits for a concurrency slot: a
            // file stored is one any host can resume from, and a host answers the request that gave it once it is.
            try await storeInputFiles()
            refused = try await awaitConcurrencySlot()
            if refused == nil {
                succeeded = try await runBlock(
                    flow.tasks, handlers: TaskHandlers(errors: flow.errors, finally: flow.finally), Scope())
            }
        } catch {
            problem = error
        }
        if let problem, problem is CancellationError, KillNote.isDetaching {
            // The process stops driving the execution and leaves it interrupted, its jobs running.
            throw problem
        }
        if let problem, FinalState.staysInterrupted(recovering: recovering, problem: problem) {
            // Recovery of this execution failed this time; it stays interrupted for the next recover.
            throw problem
        }
        let killedBy = KillNote.current?.requestedBy
        let final: RunState
        var outputProblem: String?
        if let refused {
            // Refused by the flow's concurrency limit: nothing ran, no handler runs.
            final = refused
        } else {
            (final, outputProblem) = try await withoutCancellation { [self, problem, succeeded] in
                try await end(problem: problem, succeeded: succeeded)
            }
        }
        let requestedBy = final == .cancelled ? killedBy : nil
        try await withoutCancellation { [recorder] in
            try await recorder.record(.executionFinished(ExecutionFinished(state: final, requestedBy: requestedBy)))
        }
        if let problem, !(problem is CancellationError) { throw problem }
        if let outputProblem { throw FlowProblems([outputProblem]) }
        return await recorder.state
    }

    /// Decides the final state once the tasks, `errors` and `finally` have ended; with flow outputs or
    /// `afterExecution`, records it (`ExecutionEnding`, with the outputs) and runs `afterExecution`, whose
    /// outcome does not change it.
    func end(problem: (any Error)?, succeeded: Bool) async throws -> (RunState, String?) {
        let state = await recorder.state
        if let ending = state.ending {
            if !flow.afterExecution.isEmpty { _ = try? await runTasks(flow.afterExecution, Scope()) }
            return (ending, nil)
        }
        var final = FinalState.of(taskRuns: state.taskRuns, problem: problem, flowSucceeded: succeeded)
        guard !flow.outputs.isEmpty || !flow.afterExecution.isEmpty else { return (final, nil) }
        var outputs: [String: EventValue] = [:]
        var outputProblem: String?
        if final.isSuccessful {
            do {
                outputs = try await FlowOutputs(context: self).render(state: state)
            } catch {
                final = .failed
                outputProblem = await recorder.masker.mask("\(error)")
            }
        }
        try await recorder.record(.executionEnding(ExecutionEnding(state: final, outputs: outputs)))
        if !flow.afterExecution.isEmpty { _ = try? await runTasks(flow.afterExecution, Scope()) }
        return (final, outputProblem)
    }

    /// Runs a block of tasks with its handlers, as Kestra does: `errors` when a task failed (the block still
    /// fails), then `finally` whatever happened, also when the execution is being killed (not when the process
    /// is only leaving it for a later recovery; a further kill stops it, see `KillNote.afterKill`). False when the
    /// block failed.
    func runBlock(_ tasks: [FlowTask], handlers: TaskHandlers, _ scope: Scope) async throws -> Bool {
        try await withHandlers(handlers, scope) { try await self.runTasks(tasks, scope) }
    }

    /// Runs `body`, then `handlers` as `runBlock` says.
    func withHandlers(
        _ handlers: TaskHandlers, _ scope: Scope, _ body: @escaping @Sendable () async throws -> Bool
    ) async throws -> Bool {
        if handlers.errors.isEmpty && handlers.finally.isEmpty { return try await body() }
        var succeeded = false
        do {
            do {
                succeeded = try await body()
            } catch
                where error is FlowProblems || error is TemplateError
                || (!recovering && !(error is CancellationError) && !Task.isCancelled && !(error is LedgerError))
            {
                // A task that could not render, or whose Google call was refused after its retries, is recorded
                // failed: the handlers run, then the problem stands. (A recovery that meets the outside world
                // failing leaves the execution for the next recover instead.)
                if !handlers.errors.isEmpty { _ = try await runTasks(handlers.errors, scope) }
                if !handlers.finally.isEmpty { _ = try await runTasks(handlers.finally, scope) }
                throw error
            }
            if !succeeded && !handlers.errors.isEmpty { _ = try await runTasks(handlers.errors, scope) }
        } catch  where error is CancellationError || Task.isCancelled {
            if KillNote.isDetaching { throw CancellationError() }
            if !handlers.finally.isEmpty {
                _ = try await KillNote.afterKill { try await self.runTasks(handlers.finally, scope) }
            }
            throw CancellationError()
        }
        if !handlers.finally.isEmpty, !(try await runTasks(handlers.finally, scope)) { succeeded = false }
        return succeeded
    }

    /// Runs tasks in order; false when one failed (and did not allow failure), which stops the rest.
    func runTasks(_ tasks: [FlowTask], _ scope: Scope) async throws -> Bool {
        for task in tasks where !task.common.disabled.value {
            if !(try await runTask(task, scope)) { return false }
        }
        return true
    }

    func runTask(_ task: FlowTask, _ scope: Scope) async throws -> Bool {
        // A killed execution starts nothing new outside its `finally` branches (which run in tasks of their own);
        // what it started before goes on, to be stopped and recorded as its kind is.
        if Task.isCancelled, !(await hasStarted(task, scope)) { throw CancellationError() }
        switch task {
        case .script(let script):
            // Its own lane of time on a stepping clock (decision replay), as it has its own on the wall clock.
            return try await SteppingClock.withLane {
                try await ScriptTaskRun(context: self, task: script, scope: scope).run()
            }
        case .parallel(let parallel):
            let children = parallel.tasks.filter { !$0.common.disabled.value }
            let limit = parallel.concurrent.value <= 0 ? children.count : parallel.concurrent.value
            return try await withHandlers(parallel.handlers, scope) {
                try await SiblingRuns.run(children.count, limit: limit, name: parallel.id.value + scope.suffix) {
                    index in try await self.runTask(children[index], scope)
                }
            }
        case .forEach(let forEach):
            return try await withHandlers(forEach.handlers, scope) {
                let values = try await self.forEachValues(forEach, scope)
                let limit =
                    forEach.concurrencyLimit.value <= 0 ? max(1, values.count) : forEach.concurrencyLimit.value
                return try await SiblingRuns.run(values.count, limit: limit, name: forEach.id.value + scope.suffix) {
                    index in
                    var inner = scope
                    inner.suffix += "[\(index)]"
                    inner.value = values[index]
                    inner.iteration = index
                    inner.parentRunId = forEach.id.value + scope.suffix
                    return try await self.runTasks(forEach.tasks, inner)
                }
            }
        case .log, .returnValue, .outputValues, .ifTask, .switchTask, .sequential, .pause, .subflow:
            return try await CoreTaskRun(context: self, task: task, scope: scope).run()
        }
    }

    func forEachValues(_ task: ForEachTask, _ scope: Scope) async throws -> [TemplateValue] {
        switch task.values {
        case .list(let nodes):
            return nodes.map(Convert.templateValue)
        case .json(_, let items):
            return try items.map { try TemplateValue.parseJSON($0) }
        case .template(let template):
            let state = await recorder.state
            let context = TemplateContext(
                variables: variables(
                    taskID: task.id.value, type: task.common.type.value, scope: scope, attempt: 0, state: state
                )
                .variables,
                secrets: configuration.secrets)
            let rendered = try TemplateEngine.render(
                template.value, origin: Convert.origin(template, in: text), context: context)
            await recorder.addSecrets(rendered.masker)
            if case .list(let items) = try? TemplateValue.parseJSON(rendered.text) { return items }
            throw FlowProblems(["\(template.location): ForEach values rendered to something that is not a JSON list"])
        }
    }

    /// The variables a task sees; `outputs` comes from the execution's fold (so a resumed execution sees the
    /// same outputs).
    func variables(taskID: String, type: String, scope: Scope, attempt: Int, state: ExecutionState) -> RunVariables {
        var vars = OrderedMap()
        if let node = flow.variables, case .map(let map) = Convert.templateValue(node) { vars = map }
        var labels = OrderedMap()
        for label in flow.labels { labels[label.key.value] = .string(label.value.value) }
        var inputMap = OrderedMap()
        for key in inputs.keys.sorted() { inputMap[key] = inputs[key]! }
        return RunVariables(
            flow: .init(id: flow.id.value, namespace: flow.namespace.value, revision: flow.revision?.value),
            execution: .init(
                id: started.executionId, startDate: state.startedAt ?? "",
                state: FlowOutputs.kestraName(state.ending ?? .running)),
            task: .init(
                id: taskID, type: type, runId: taskID + scope.suffix, attemptsCount: attempt,
                parentRunId: scope.parentRunId, value: scope.value, iteration: scope.iteration),
            inputs: inputMap, outputs: OutputsView.outputs(of: state), vars: vars, labels: labels,
            envs: TemplateContext.environmentVariables(from: configuration.environment),
            trigger: started.trigger.map { variables in
                var map = OrderedMap()
                for key in variables.keys.sorted() { map[key] = .string(variables[key]!) }
                return map
            })
    }

}
