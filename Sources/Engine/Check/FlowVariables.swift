import Flows
import Templates

/// The variables a run gives each template of a flow (as `ExecutionContext.variables` and `TaskRenderer` build
/// them), as far as they are known before the run: names always, values when the file holds them.
struct FlowVariables: Sendable {
    /// Where in a task a template is rendered, which decides the job's variables.
    enum Place {
        /// The task runner's properties, `timeout` and `warningOnStdErr`: rendered before the job exists.
        case beforeJob
        /// The script's own properties, with `workingDir`, and `outputDir` and `bucketPath` when they exist.
        case inJob(outputDir: Bool, bucketPath: Bool)
        /// A ForEach's `values`.
        case forEachValues
    }

    /// Where each task sits in the flow, to say why another task's outputs are not there.
    private struct Placement: Sendable {
        var task: FlowTask
        var ancestors: [FlowTask]
        var order: Int
        var disabled: Bool
    }

    /// Roots a Kestra flow may read that a run here does not define, with what to write instead.
    static let kestraOnly: [String: String] = [
        "variables": "the flow's variables are read as vars.NAME",
        "parent": "a run here does not define it: inside a ForEach, the current value is taskrun.value",
        "parents": "a run here does not define it: inside a ForEach, the current value is taskrun.value",
        "trigger": "only an execution a Schedule trigger started has it, and this flow has none",
    ]

    /// `outputs.<task>` of a task outside any ForEach (`OutputsView`).
    static let taskOutputs = StaticValue.keys([
        "vars": .unknown, "outputFiles": .unknown, "exitCode": .unknown, "state": .unknown,
    ])

    /// `outputs.<task>` of a core task: the common keys and the task's own outputs at the top, as Kestra has them.
    static func outputs(of task: FlowTask) -> StaticValue {
        var keys: [String: StaticValue] = [
            "vars": .unknown, "outputFiles": .unknown, "exitCode": .unknown, "state": .unknown,
        ]
        switch task {
        case .returnValue: keys["value"] = .unknown
        case .ifTask: keys["evaluationResult"] = .unknown
        case .outputValues: keys["values"] = .unknown
        case .switchTask:
            keys["value"] = .unknown
            keys["defaults"] = .unknown
        case .subflow:
            keys["executionId"] = .unknown
            keys["outputs"] = .unknown
        default: break
        }
        return .keys(keys)
    }

    private let flow: StaticValue
    private let inputs: StaticValue
    private let vars: StaticValue
    private let labels: StaticValue
    private let placements: [String: Placement]
    /// The flow has Schedule triggers: the executions they start have `trigger` (others do not: write
    /// `trigger.date ?? execution.startDate` for both).
    private let triggered: Bool

    init(_ flow: Flow) {
        triggered = !flow.triggers.isEmpty
        self.flow = .known([
            "id": .string(flow.id.value), "namespace": .string(flow.namespace.value),
            "revision": flow.revision.map { .int($0.value) } ?? .null, "tenantId": .null,
        ])
        var inputs: [String: StaticValue] = [:]
        for input in flow.inputs { inputs[input.id.value] = .unknown }
        self.inputs = .keys(inputs)
        var vars = OrderedMap()
        if let node = flow.variables, case .map(let map) = Convert.templateValue(node) { vars = map }
        self.vars = .known(.map(vars))
        var labels = OrderedMap()
        for label in flow.labels { labels[label.key.value] = .string(label.value.value) }
        self.labels = .known(.map(labels))

        var placements: [String: Placement] = [:]
        var order = 0
        func visit(_ tasks: [FlowTask], ancestors: [FlowTask], disabled: Bool) {
            for task in tasks {
                let off = disabled || task.common.disabled.value
                if placements[task.id.value] == nil {
                    placements[task.id.value] = Placement(task: task, ancestors: ancestors, order: order, disabled: off)
                }
                order += 1
                visit(task.childTasks, ancestors: ancestors + [task], disabled: off)
            }
        }
        visit(flow.tasks, ancestors: [], disabled: false)
        self.placements = placements
    }

    /// The variables of a template of task `common` rendered at `place`.
    func scope(for common: TaskCommon, inForEach: Bool, outputs: StaticValue, place: Place) -> TemplateScope {
        var taskrun: [String: StaticValue] = [
            "id": .unknown, "startDate": .unknown, "attemptsCount": .unknown, "parentId": .unknown,
        ]
        var taskrunAbsent: [String: String] = [:]
        if inForEach {
            taskrun["value"] = .unknown
            taskrun["iteration"] = .unknown
        } else {
            for name in ["value", "iteration"] { taskrunAbsent[name] = "only tasks inside a ForEach have it" }
        }
        var variables: [String: StaticValue] = [
            "flow": flow,
            "execution": .keys(["id": .unknown, "startDate": .unknown, "originalId": .unknown, "state": .unknown]),
            "task": .known(["id": .string(common.id.value), "type": .string(common.type.value)]),
            "taskrun": .keys(taskrun, absent: AbsentNames(taskrunAbsent)),
            "inputs": inputs, "outputs": outputs, "vars": vars, "labels": labels, "envs": .unknown,
        ]
        var absent = Self.kestraOnly
        if triggered {
            variables["trigger"] = .keys(["date": .unknown, "next": .unknown, "previous": .unknown])
            absent["trigger"] = nil
        }
        switch place {
        case .beforeJob:
            for name in ["workingDir", "outputDir", "bucketPath"] {
                absent[name] =
                    "the task runner's properties, timeout and warningOnStdErr are rendered before the job and its "
                    + "working directory exist"
            }
        case .forEachValues:
            for name in ["workingDir", "outputDir", "bucketPath"] { absent[name] = "only script tasks have it" }
        case .inJob(let outputDir, let bucketPath):
            variables["workingDir"] = .unknown
            if outputDir {
                variables["outputDir"] = .unknown
            } else {
                absent["outputDir"] = "it is defined only when the task sets outputDirectory: true"
            }
            if bucketPath {
                variables["bucketPath"] = .unknown
            } else {
                absent["bucketPath"] = "it is defined only when the task runner has a bucket"
            }
        }
        return TemplateScope(variables: variables, absent: AbsentNames(absent))
    }

    /// Why a task of the flow has no outputs when task `current` renders, `available` being the tasks that have.
    func absentOutputs(for current: String, _ available: [String: StaticValue]) -> AbsentNames {
        AbsentNames { id in available[id] != nil ? nil : reason(id, current: current) }
    }

    /// Why task `id` has no outputs when task `current` renders (nil when `id` is not a task of the flow).
    private func reason(_ id: String, current: String) -> String? {
        guard let here = placements[current], let other = placements[id] else { return nil }
        if id == current { return "a task cannot read its own outputs: they exist once it has ended" }
        switch other.task {
        case .parallel, .forEach:
            let kind = other.task.type.value.split(separator: ".").last.map(String.init) ?? "flowable"
            return "task '\(id)' is a \(kind) task: it has no outputs of its own; read those of the tasks in it"
        default:
            break
        }
        if other.disabled { return "task '\(id)' is disabled: it never runs, so it has no outputs" }
        let shared = zip(other.ancestors, here.ancestors).prefix { $0.0.id.value == $0.1.id.value }.last?.0
        if case .parallel(let parallel)? = shared {
            return "task '\(id)' runs in parallel with task '\(current)' (both in Parallel '\(parallel.id.value)'): "
                + "it may not have ended"
        }
        if other.order > here.order {
            return "task '\(id)' runs after task '\(current)': a task reads the outputs of tasks that ended before it"
        }
        return nil
    }
}
