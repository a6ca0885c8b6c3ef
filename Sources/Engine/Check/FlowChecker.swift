import Flows
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
                for (id, _) in inner where available[id] == nil { available[id] = .unknown }
            }
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
