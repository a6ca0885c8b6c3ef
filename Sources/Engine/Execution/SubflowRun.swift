import Flows
import Foundation
import Templates

/// A Subflow task run: starts the child flow (from a server's flow library when the parent's flow is a revision
/// of it, else a flow file of the parent's folder, with the given namespace and id) as an execution of its own
/// that names its parent, waits for its end, and gives its outputs (`executionId`, `state`, `outputs`). The
/// child's id is recorded (`SubflowStarted`) before the child starts, so a resumed parent continues the same child
/// instead of starting another.
struct SubflowRun {
    let context: ExecutionContext
    let task: SubflowTask
    let taskRunId: String
    let scope: ExecutionContext.Scope

    /// The child's final state.
    func run() async throws -> RunState {
        let recorder = context.recorder
        let configuration = context.configuration
        if let recorded = configuration.recordedChildren?[taskRunId] {
            // Decision replay: the child's recorded end stands for the child.
            if await recorder.state.taskRun(taskRunId)?.childExecutionId == nil {
                try await recorder.record(started(recorded.executionId))
            }
            return try await finish(recorded.state)
        }
        let store = recorder.store
        var runner = ExecutionRunner(store: store, configuration: childConfiguration())
        if let childId = await recorder.state.taskRun(taskRunId)?.childExecutionId,
            try store.executionState(childId) != nil
        {
            switch try await runner.resume(childId) {
            case .finished(let state), .alreadyTerminal(let state): return try await finish(state)
            case .heldBy(let holder):
                throw EngineError.configuration(
                    "the child execution \(childId) of \(taskRunId) is driven by another process (\(holder))")
            }
        }
        try refuseCycle()
        let (flow, path, source, revision) = try childFlow()
        let problems = FlowChecker.subflowInputProblems(task, child: flow)
        if !problems.isEmpty { throw FlowProblems(problems.map(\.description)) }
        let given = try await renderInputs()
        let inputs: [String: TemplateValue]
        do {
            inputs = try InputResolver.resolve(flow.inputs, given: given)
        } catch let problems as FlowProblems {
            // Said of the child's inputs as a command line gives them: placed at the Subflow that gives them here.
            throw FlowProblems(
                problems.problems.map { "\(task.common.location): Subflow \(task.common.id.value): \($0)" })
        }
        var childId = await recorder.state.taskRun(taskRunId)?.childExecutionId
        if childId == nil {
            var generator = SystemRandomNumberGenerator()
            let id = Naming.executionID(using: &generator)
            try await recorder.record(started(id))
            childId = id
        }
        if let revision {
            var configuration = childConfiguration()
            configuration.flowRevision = revision
            runner = ExecutionRunner(store: store, configuration: configuration)
        }
        let state: ExecutionState
        do {
            state = try await runner.runChild(
                flow: flow, flowPath: path, source: source, inputs: inputs, executionId: childId!,
                parent: (context.started.executionId, taskRunId))
        } catch  where !(error is CancellationError) && !Task.isCancelled {
            guard let ended = try store.executionState(childId!), ended.isTerminal else { throw error }
            state = ended
        }
        return try await finish(state)
    }

    /// A child flow that is the parent's own, or one of its ancestors', would start executions without end.
    private func refuseCycle() throws {
        var ancestor: ExecutionStarted? = context.started
        var chain: [String] = []
        while let current = ancestor {
            chain.append("\(current.namespace)/\(current.flowId)")
            if current.namespace == task.namespace.value && current.flowId == task.flowId.value {
                throw FlowProblems([
                    "\(task.flowId.location): Subflow \(task.common.id.value) would run \(task.namespace.value)/"
                        + "\(task.flowId.value) inside itself (\(chain.reversed().joined(separator: " → ")))"
                ])
            }
            ancestor = try current.parentExecutionId.flatMap { try context.recorder.store.executionState($0)?.started }
        }
    }

    private func started(_ childId: String) -> ExecutionEvent {
        .subflowStarted(
            SubflowStarted(
                taskRunId: taskRunId, childExecutionId: childId, namespace: task.namespace.value,
                flowId: task.flowId.value))
    }

    /// Records the child's outputs and says how the task run ends.
    private func finish(_ child: ExecutionState) async throws -> RunState {
        if child.state == .cancelled || child.state == .killed { throw CancellationError() }
        try await context.recorder.record(
            .outputsParsed(
                OutputsParsed(
                    taskRunId: taskRunId, attempt: 1,
                    vars: [
                        "executionId": .string(child.executionId),
                        "state": .string(FlowOutputs.kestraName(child.state)),
                        "outputs": .object(EventObject(child.outputs.sorted { $0.key < $1.key }.map { ($0, $1) })),
                    ], metrics: [], warnings: [])))
        return child.state
    }

    /// The parent's configuration without what belongs to the parent's request (its labels and revision).
    private func childConfiguration() -> RunConfiguration {
        var configuration = context.configuration
        configuration.labels = [:]
        configuration.flowRevision = nil
        return configuration
    }

    /// The child flow, its path (for diagnostics), its text and its revision in a flow library (nil for a file).
    private func childFlow() throws -> (Flow, String, String, Int?) {
        if let library = try parentLibrary() {
            return try libraryFlow(library)
        }
        let folder = URL(fileURLWithPath: context.started.flowPath).deletingLastPathComponent()
        let found = try SubflowFiles.find(
            namespace: task.namespace.value, flowId: task.flowId.value, in: folder)
        guard let found else {
            throw FlowProblems([
                "\(task.flowId.location): Subflow \(task.common.id.value): no flow \(task.namespace.value)/"
                    + "\(task.flowId.value) among the flow files of \(folder.path)"
            ])
        }
        let flow = try ExecutionRunner.load(flowPath: found.path, source: found.source)
        if let wanted = task.revision, flow.revision?.value != wanted.value {
            throw FlowProblems([
                "\(wanted.location): Subflow \(task.common.id.value): revision \(wanted.value) of "
                    + "\(task.namespace.value)/\(task.flowId.value) was asked, and its flow file \(found.path) is "
                    + (flow.revision.map { "revision \($0.value)" } ?? "no revision")
                    + ": remove 'revision' (a flow file has one), or run the flows in batchledger serve, whose flow "
                    + "library keeps every revision"
            ])
        }
        return (flow, found.path, found.source, nil)
    }

    /// The flow library the parent's flow came from: the ledger's, when the parent's recorded text is the library's
    /// revision it names (a server's execution); nil for a flow file.
    private func parentLibrary() throws -> FlowLibrary? {
        let started = context.started
        guard let revision = started.flowRevision else { return nil }
        let library = FlowLibrary(store: context.recorder.store)
        guard
            let stored = try library.revision(namespace: started.namespace, id: started.flowId, revision),
            stored.sourceSHA256 == started.flowSHA256
        else { return nil }
        return library
    }

    /// The child's latest revision in `library`, or the one the task names.
    private func libraryFlow(_ library: FlowLibrary) throws -> (Flow, String, String, Int?) {
        let namespace = task.namespace.value
        let flowId = task.flowId.value
        let stored: FlowRevision?
        if let wanted = task.revision {
            stored = try library.revision(namespace: namespace, id: flowId, wanted.value)
            if stored == nil, try library.latest(namespace: namespace, id: flowId, allowDeleted: true) != nil {
                throw FlowProblems([
                    "\(wanted.location): Subflow \(task.common.id.value): flow \(namespace).\(flowId) has no revision "
                        + "\(wanted.value) in the flow library: give one of its revisions (GET /api/v1/main/flows/"
                        + "\(namespace)/\(flowId)/revisions), or remove 'revision' for its latest"
                ])
            }
        } else {
            stored = try library.latest(namespace: namespace, id: flowId)
        }
        guard let stored else {
            throw FlowProblems([
                "\(task.flowId.location): Subflow \(task.common.id.value): no flow \(namespace).\(flowId) in the "
                    + "flow library: save it (POST /api/v1/main/flows) before running this flow"
            ])
        }
        let path = "\(stored.namespace).\(stored.flowId)@\(stored.revision).yaml"
        return (try ExecutionRunner.load(flowPath: path, source: stored.source), path, stored.source, stored.revision)
    }

    /// The child's inputs: strings rendered as templates, other values as their text (JSON for lists and maps).
    private func renderInputs() async throws -> [String: String] {
        var result: [String: String] = [:]
        let core = CoreTaskRun(context: context, task: .subflow(task), scope: scope)
        for entry in task.inputs {
            if let scalar = entry.value.scalar, case .string = scalar.value {
                let text = try await core.render(Located(scalar.text, at: entry.value.location))
                // The child records its inputs as they are (a resume needs them): a secret must not be one.
                if await context.recorder.masker.mask(text) != text {
                    throw FlowProblems([
                        "\(entry.value.location): Subflow \(task.common.id.value): input \(entry.key.value) holds a "
                            + "secret's value, and the child execution records its inputs in the ledger: pass the "
                            + "secret's name instead and call secret('NAME') in the child flow"
                    ])
                }
                result[entry.key.value] = text
            } else {
                result[entry.key.value] = ScriptTaskRun.text(Convert.templateValue(entry.value))
            }
        }
        return result
    }
}

/// Finds flow files by namespace and id in a folder (the Subflow's "same namespace folder").
enum SubflowFiles {
    /// The file of flow `namespace`/`flowId` among the `.yaml` and `.yml` files of `folder`, with its text.
    static func find(namespace: String, flowId: String, in folder: URL) throws -> (path: String, source: String)? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = folder.appendingPathComponent(name).path
            guard let source = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            guard let flow = FlowParser.parse(source: source, file: path).flow else { continue }
            if flow.namespace.value == namespace && flow.id.value == flowId { return (path, source) }
        }
        return nil
    }
}
