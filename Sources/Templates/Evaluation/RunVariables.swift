/// The standard variables of a Kestra task, typed, so the engine builds the same map for every task.
///
/// `variables` produces `flow`, `execution`, `task`, `taskrun`, `inputs`, `outputs`, `vars`, `labels`, `envs`,
/// and — only when set — `workingDir`, `outputDir`, `bucketPath` (an undefined `outputDir` must stay an error, as
/// in Kestra when the output directory is disabled).
public struct RunVariables: Sendable {
    /// `flow.*`
    public struct Flow: Sendable {
        /// `flow.id`
        public var id: String
        /// `flow.namespace`
        public var namespace: String
        /// `flow.revision`
        public var revision: Int?
        /// `flow.tenantId` (null when absent)
        public var tenantId: String?

        /// The flow's identity.
        public init(id: String, namespace: String, revision: Int? = nil, tenantId: String? = nil) {
            self.id = id
            self.namespace = namespace
            self.revision = revision
            self.tenantId = tenantId
        }
    }

    /// `execution.*`
    public struct Execution: Sendable {
        /// `execution.id`
        public var id: String
        /// ISO-8601 instant.
        public var startDate: String
        /// `execution.originalId` (defaults to the id)
        public var originalId: String?
        /// `execution.state`: Kestra's name of the execution's state (RUNNING while its tasks run).
        public var state: String?

        /// The execution's identity and start.
        public init(id: String, startDate: String, originalId: String? = nil, state: String? = nil) {
            self.id = id
            self.state = state
            self.startDate = startDate
            self.originalId = originalId
        }
    }

    /// `task.*` and `taskrun.*`
    public struct Task: Sendable {
        /// `task.id`
        public var id: String
        /// `task.type`
        public var type: String
        /// `taskrun.id`
        public var runId: String?
        /// ISO-8601 instant.
        public var runStartDate: String?
        /// `taskrun.attemptsCount`
        public var attemptsCount: Int
        /// `taskrun.parentId`
        public var parentRunId: String?
        /// The current item inside a ForEach (`taskrun.value`).
        public var value: TemplateValue?
        /// `taskrun.iteration`
        public var iteration: Int?

        /// The task being rendered and its run.
        public init(
            id: String, type: String, runId: String? = nil, runStartDate: String? = nil, attemptsCount: Int = 0,
            parentRunId: String? = nil, value: TemplateValue? = nil, iteration: Int? = nil
        ) {
            self.id = id
            self.type = type
            self.runId = runId
            self.runStartDate = runStartDate
            self.attemptsCount = attemptsCount
            self.parentRunId = parentRunId
            self.value = value
            self.iteration = iteration
        }
    }

    /// The flow being run.
    public var flow: Flow
    /// The execution.
    public var execution: Execution
    /// The task being rendered; nil for flow-level templates.
    public var task: Task?
    /// `inputs.*`: the execution inputs.
    public var inputs: OrderedMap
    /// `outputs.<taskId>.…` of the tasks that already ran.
    public var outputs: OrderedMap
    /// The flow's `variables:` block, unrendered (rendering stays explicit through `render()`).
    public var vars: OrderedMap
    /// `labels.*`
    public var labels: OrderedMap
    /// Usually `TemplateContext.environmentVariables(from:)`.
    public var envs: TemplateValue
    /// `workingDir`: the task working directory (inside the container for Batch).
    public var workingDir: String?
    /// `outputDir`: only when the output directory is enabled.
    public var outputDir: String?
    /// `bucketPath`: the task's `gs://` prefix.
    public var bucketPath: String?
    /// `trigger`: for an execution a schedule trigger started (`date`, `next`, `previous`).
    public var trigger: OrderedMap?

    /// Variables for one task of one execution.
    public init(
        flow: Flow, execution: Execution, task: Task? = nil, inputs: OrderedMap = [:], outputs: OrderedMap = [:],
        vars: OrderedMap = [:], labels: OrderedMap = [:], envs: TemplateValue = .map([:]), workingDir: String? = nil,
        outputDir: String? = nil, bucketPath: String? = nil, trigger: OrderedMap? = nil
    ) {
        self.trigger = trigger
        self.flow = flow
        self.execution = execution
        self.task = task
        self.inputs = inputs
        self.outputs = outputs
        self.vars = vars
        self.labels = labels
        self.envs = envs
        self.workingDir = workingDir
        self.outputDir = outputDir
        self.bucketPath = bucketPath
    }

    /// The root variable map for `TemplateContext(variables:)`.
    public var variables: OrderedMap {
        var root = OrderedMap()
        root["flow"] = .map([
            "id": .string(flow.id), "namespace": .string(flow.namespace),
            "revision": flow.revision.map { .int($0) } ?? .null,
            "tenantId": flow.tenantId.map { .string($0) } ?? .null,
        ])
        root["execution"] = .map([
            "id": .string(execution.id), "startDate": .string(execution.startDate),
            "originalId": .string(execution.originalId ?? execution.id),
        ])
        if let state = execution.state, case .map(var map)? = root["execution"] {
            map["state"] = .string(state)
            root["execution"] = .map(map)
        }
        if let task {
            root["task"] = .map(["id": .string(task.id), "type": .string(task.type)])
            var run = OrderedMap()
            run["id"] = task.runId.map { .string($0) } ?? .null
            run["startDate"] = task.runStartDate.map { .string($0) } ?? .null
            run["attemptsCount"] = .int(task.attemptsCount)
            run["parentId"] = task.parentRunId.map { .string($0) } ?? .null
            if let value = task.value { run["value"] = value }
            if let iteration = task.iteration { run["iteration"] = .int(iteration) }
            root["taskrun"] = .map(run)
        }
        root["inputs"] = .map(inputs)
        root["outputs"] = .map(outputs)
        root["vars"] = .map(vars)
        root["labels"] = .map(labels)
        root["envs"] = envs
        if let workingDir { root["workingDir"] = .string(workingDir) }
        if let outputDir { root["outputDir"] = .string(outputDir) }
        if let bucketPath { root["bucketPath"] = .string(bucketPath) }
        if let trigger { root["trigger"] = .map(trigger) }
        return root
    }
}
