import Flows
import Foundation
import Templates

/// Walks a parsed flow in the order a run takes it, checking each property a run renders against the variables
/// it would see there (`FlowCheck`).
struct FlowChecker {
    let flow: Flow
    let text: FlowText
    let secrets: SecretStore?
    let variables: FlowVariables
    private(set) var diagnostics: [FlowDiagnostic] = []

    init(flow: Flow, text: FlowText, secrets: SecretStore?) {
        self.flow = flow
        self.text = text
        self.secrets = secrets
        self.variables = FlowVariables(flow)
    }

    mutating func checkTasks() {
        var available: [String: StaticValue] = [:]
        walk(flow.tasks, available: &available, inForEach: false, disabled: false)
        for handlers in [flow.errors, flow.finally, flow.afterExecution] {
            walk(handlers, available: &available, inForEach: false, disabled: false)
        }
        for output in flow.outputs {
            let common = TaskCommon(
                id: output.id, type: Located("outputs", at: output.id.location),
                allowFailure: Located(false, at: output.id.location), disabled: Located(false, at: output.id.location),
                location: output.id.location)
            let outputs = StaticValue.keys(available, absent: variables.absentOutputs(for: output.id.value, available))
            check(output.value, variables.scope(for: common, inForEach: false, outputs: outputs, place: .forEachValues))
        }
    }

    /// Checks `tasks` as a run takes them: one after the other, each seeing the outputs of those that ended before
    /// it (`available`, updated as tasks end). Disabled tasks never render, and are not checked.
    private mutating func walk(
        _ tasks: [FlowTask], available: inout [String: StaticValue], inForEach: Bool, disabled: Bool
    ) {
        for task in tasks {
            let off = disabled || task.common.disabled.value
            if !off { check(task, available: available, inForEach: inForEach) }
            switch task {
            case .script:
                // Inside a ForEach, Kestra keys a task's outputs by the iteration's value.
                if !off { available[task.id.value] = inForEach ? .unknown : FlowVariables.taskOutputs }
            case .parallel(let parallel):
                var after = available
                for child in parallel.tasks {
                    var branch = available
                    walk([child], available: &branch, inForEach: inForEach, disabled: off)
                    after.merge(branch) { _, new in new }
                }
                available = after
            case .forEach(let forEach):
                var inner = available
                walk(forEach.tasks, available: &inner, inForEach: true, disabled: off)
                walk(forEach.handlers.all, available: &inner, inForEach: inForEach, disabled: off)
                for (id, _) in inner where available[id] == nil { available[id] = .unknown }
            case .log, .returnValue, .outputValues, .pause, .subflow:
                if !off { available[task.id.value] = inForEach ? .unknown : FlowVariables.outputs(of: task) }
            case .ifTask, .switchTask, .sequential:
                if !off { available[task.id.value] = inForEach ? .unknown : FlowVariables.outputs(of: task) }
                var after = available
                for branch in Self.branches(task) {
                    var inner = available
                    walk(branch, available: &inner, inForEach: inForEach, disabled: off)
                    after.merge(inner) { _, new in new }
                }
                available = after
            }
            if case .parallel(let parallel) = task {
                walk(parallel.handlers.all, available: &available, inForEach: inForEach, disabled: off)
            }
        }
    }

    /// A flowable's branches, each walked from the same start; its handlers last, after every branch.
    private static func branches(_ task: FlowTask) -> [[FlowTask]] {
        switch task {
        case .ifTask(let ifTask): return [ifTask.then, ifTask.otherwise, ifTask.handlers.all]
        case .switchTask(let switchTask):
            return switchTask.cases.map(\.tasks) + [switchTask.defaults, switchTask.handlers.all]
        case .sequential(let sequential): return [sequential.tasks + sequential.handlers.all]
        default: return []
        }
    }

    private mutating func check(_ task: FlowTask, available: [String: StaticValue], inForEach: Bool) {
        let outputs = StaticValue.keys(available, absent: variables.absentOutputs(for: task.id.value, available))
        switch task {
        case .script(let script):
            let bucket = script.taskRunner?.bucket.map { $0.isTemplate || !$0.value.isEmpty } ?? false
            let before = variables.scope(
                for: script.common, inForEach: inForEach, outputs: outputs, place: .beforeJob)
            let inJob = variables.scope(
                for: script.common, inForEach: inForEach, outputs: outputs,
                place: .inJob(outputDir: script.outputDirectory.value, bucketPath: bucket))
            checkScript(script, before: before, inJob: inJob)
            if let runner = script.taskRunner {
                checkRunner(runner, scope: before)
                checkPlacement(runner)
            }
        case .forEach(let forEach):
            if case .template(let values) = forEach.values {
                check(
                    values,
                    variables.scope(for: forEach.common, inForEach: inForEach, outputs: outputs, place: .forEachValues))
            }
        case .parallel:
            break
        case .log, .returnValue, .outputValues, .ifTask, .switchTask, .sequential, .pause, .subflow:
            checkCore(
                task,
                variables.scope(for: task.common, inForEach: inForEach, outputs: outputs, place: .forEachValues))
        }
    }

    /// A core task's templates, rendered without a job (no `workingDir`).
    private mutating func checkCore(_ task: FlowTask, _ scope: TemplateScope) {
        switch task {
        case .log(let log):
            for message in log.messages { check(message, scope) }
        case .returnValue(let returnTask):
            if let format = returnTask.format { check(format, scope) }
        case .outputValues(let outputValues):
            checkLeaves(outputValues.values, scope)
        case .ifTask(let ifTask):
            check(ifTask.condition, scope)
        case .switchTask(let switchTask):
            check(switchTask.value, scope)
        case .pause(let pause):
            check(pause.delay, scope)
        case .subflow(let subflow):
            for entry in subflow.inputs { checkLeaves(entry.value, scope) }
            checkSubflowTarget(subflow)
        default:
            break
        }
    }

    private mutating func checkLeaves(_ node: YAMLNode, _ scope: TemplateScope) {
        if let entries = node.entries {
            for entry in entries { checkLeaves(entry.value, scope) }
        } else if let items = node.items {
            for item in items { checkLeaves(item, scope) }
        } else if let scalar = node.scalar, case .string = scalar.value {
            check(Located(scalar.text, at: node.location), scope)
        }
    }

    /// The inputs given must be the child's, and every required child input without a default must be given.
    private mutating func checkSubflowInputs(_ subflow: SubflowTask, child: Flow) {
        diagnostics += Self.subflowInputProblems(subflow, child: child)
    }

    /// What `checkSubflowInputs` finds, each at its place in the parent (a run checks a child read from a flow
    /// library with it, which `validate` cannot see).
    static func subflowInputProblems(_ subflow: SubflowTask, child: Flow) -> [FlowDiagnostic] {
        var problems: [FlowDiagnostic] = []
        let declared = Set(child.inputs.map(\.id.value))
        for entry in subflow.inputs where !declared.contains(entry.key.value) {
            problems.append(
                FlowDiagnostic(
                    "Subflow \(subflow.common.id.value): flow \(child.namespace.value)/\(child.id.value) has no input "
                        + "'\(entry.key.value)'"
                        + (declared.isEmpty ? "" : " (its inputs: \(declared.sorted().joined(separator: ", ")))"),
                    at: entry.key.location))
        }
        let given = Set(subflow.inputs.map(\.key.value))
        for input in child.inputs
        where input.required.value && input.defaults == nil && !given.contains(input.id.value) {
            problems.append(
                FlowDiagnostic(
                    "Subflow \(subflow.common.id.value): input '\(input.id.value)' of flow \(child.namespace.value)/"
                        + "\(child.id.value) is required: give it under inputs", at: subflow.common.location))
        }
        return problems
    }

    /// The child flow must be a flow file of the same folder (checked when the flow file is on disk).
    private mutating func checkSubflowTarget(_ subflow: SubflowTask) {
        let folder = URL(fileURLWithPath: flow.file).deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: flow.file),
            FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue
        else { return }
        let found =
            (try? SubflowFiles.find(namespace: subflow.namespace.value, flowId: subflow.flowId.value, in: folder))
            ?? nil
        if let found, let child = FlowParser.parse(source: found.source, file: found.path).flow {
            checkSubflowInputs(subflow, child: child)
            if let wanted = subflow.revision, child.revision?.value != wanted.value {
                diagnostics.append(
                    FlowDiagnostic(
                        "Subflow \(subflow.common.id.value): revision \(wanted.value) was asked, and the flow file "
                            + "\(found.path) is " + (child.revision.map { "revision \($0.value)" } ?? "no revision")
                            + ": remove 'revision' (a flow file has one), or run the flows in batchledger serve, whose "
                            + "flow library keeps every revision", at: wanted.location))
            }
        } else {
            diagnostics.append(
                FlowDiagnostic(
                    "Subflow \(subflow.common.id.value): no flow \(subflow.namespace.value)/\(subflow.flowId.value) "
                        + "among the flow files of \(folder.path): BatchLedger runs a Subflow from a flow file in the "
                        + "same folder", at: subflow.flowId.location))
        }
        if subflow.namespace.value == flow.namespace.value && subflow.flowId.value == flow.id.value {
            diagnostics.append(
                FlowDiagnostic(
                    "Subflow \(subflow.common.id.value) runs its own flow: that never ends", at: subflow.flowId.location
                ))
        }
    }

    /// The script task's own properties: rendered with the job's working directory (`inJob`), except `timeout`
    /// and `warningOnStdErr` (`before`).
    private mutating func checkScript(_ task: ScriptTask, before: TemplateScope, inJob: TemplateScope) {
        check(task.common.timeout, before)
        check(task.warningOnStdErr, before)
        switch task.inputFiles {
        case .files(let files)?:
            for file in files {
                check(file.name, inJob)
                check(file.content, inJob)
            }
        case .template(let template)?:
            check(template, inJob)
        case nil:
            break
        }
        for line in task.beforeCommands + task.commands + task.interpreter + task.outputFiles { check(line, inJob) }
        if let script = task.script { check(script, inJob) }
        check(task.failFast, inJob)
        for variable in task.env {
            check(variable.name, inJob)
            check(variable.value, inJob)
        }
        if let image = task.containerImage { check(image, inJob) }
    }

    /// The task runner's properties, all rendered before the job exists.
    private mutating func checkRunner(_ runner: BatchRunner, scope: TemplateScope) {
        var strings: [Located<String>] = [runner.region, runner.machineType]
        strings += [runner.projectId, runner.bucket, runner.serviceAccount, runner.reservation].compactMap { $0 }
        if let account = runner.impersonatedServiceAccount { strings.append(account) }
        strings += runner.scopes + runner.entryPoint
        strings += runner.accelerators.flatMap { [$0.type] + ($0.driverVersion.map { [$0] } ?? []) }
        strings += runner.networkInterfaces.flatMap { [$0.network] + ($0.subnetwork.map { [$0] } ?? []) }
        if let account = runner.computeServiceAccount { strings.append(account) }
        strings += runner.labels.flatMap { [$0.key, $0.value] }
        for string in strings { check(string, scope) }
        check(runner.maxRetryCount, scope)
        if let resource = runner.computeResource {
            for size in [resource.cpuMilli, resource.memoryMiB, resource.bootDiskMiB] { check(size, scope) }
        }
    }

    /// What the run refuses about where the job runs, when the file already says it.
    private mutating func checkPlacement(_ runner: BatchRunner) {
        if let project = runner.projectId {
            if project.value.isEmpty {
                diagnostics.append(FlowDiagnostic("projectId rendered to an empty string", at: project.location))
            }
        } else {
            diagnostics.append(FlowDiagnostic(FlowCheck.missingProjectId, at: runner.location))
        }
        if runner.region.value.isEmpty {
            diagnostics.append(FlowDiagnostic("region rendered to an empty string", at: runner.region.location))
        }
        if let bucket = runner.bucket, !bucket.isTemplate, !bucket.value.isEmpty,
            let problem = GoogleBucketRules.problem(bucket.value)
        {
            diagnostics.append(FlowDiagnostic(FlowCheck.invalidBucket(bucket.value, problem), at: bucket.location))
        }
    }

    // MARK: - One template

    private mutating func check<Value>(_ dynamic: Located<Dynamic<Value>>?, _ scope: TemplateScope) {
        guard let dynamic, case .template(let template) = dynamic.value else { return }
        check(Located(template, at: dynamic.location), scope)
    }

    /// Parses the template as a run does (only text with `{` is rendered) and checks it in `scope`.
    private mutating func check(_ located: Located<String>, _ scope: TemplateScope) {
        guard TemplateEngine.needsRendering(located.value) else { return }
        let errors: [TemplateError]
        do {
            errors = try Template.parse(located.value, origin: Convert.origin(located, in: text))
                .check(in: scope, secrets: secrets)
        } catch {
            errors = [error]
        }
        for error in errors {
            let place = Flows.SourceLocation(
                file: error.location.file, line: error.location.line, column: error.location.column)
            diagnostics.append(FlowDiagnostic(error.message, at: place))
        }
    }
}
