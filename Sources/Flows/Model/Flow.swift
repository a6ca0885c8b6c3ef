/// A Kestra flow file, parsed with every value's source location kept.
///
/// Only the parts of Kestra's flow that BatchLedger runs are modelled; any other property is refused
/// when the file is read. `pluginDefaults` are already applied to `tasks` (and to their task runners).
public struct Flow: Sendable, Equatable {
    /// The file name as given to the parser.
    public var file: String
    /// The flow id, matching `^[a-zA-Z0-9][a-zA-Z0-9._-]*`, 1–100 characters.
    public var id: Located<String>
    /// The namespace, lowercase, matching `^[a-z0-9][a-z0-9._-]*`, 1–150 characters.
    public var namespace: Located<String>
    /// The revision, if written (Kestra normally sets it).
    public var revision: Located<Int>?
    /// A free-text description.
    public var description: Located<String>?
    /// The flow's labels, in file order (from a mapping or a list of `key`/`value` pairs).
    public var labels: [FlowLabel]
    /// The flow's inputs, in file order.
    public var inputs: [FlowInput]
    /// The `variables:` mapping as written (values are not rendered), or nil.
    public var variables: YAMLNode?
    /// The top-level tasks, with plugin defaults applied.
    public var tasks: [FlowTask]
    /// Run, in order, when a task fails (without `allowFailure`).
    public var errors: [FlowTask]
    /// Run, in order, once the tasks (and `errors`) have ended, however they ended (a killed execution too).
    public var finally: [FlowTask]
    /// Run, in order, once the execution's final state is known (`execution.state`).
    public var afterExecution: [FlowTask]
    /// Flow-level outputs, rendered once the tasks, `errors` and `finally` have ended.
    public var outputs: [FlowOutput]
    /// The `pluginDefaults:` entries as written.
    public var pluginDefaults: [PluginDefault]
    /// How many executions of the flow may run at once, and what a new one does past that.
    public var concurrency: FlowConcurrency? = nil
    /// `disabled:`, false by default.
    public var disabled: Located<Bool>
    /// The `Schedule` triggers, in file order (`batchledger serve` fires them).
    public var triggers: [ScheduleTrigger] = []
    /// Where the flow's mapping starts (line 1, usually).
    public var location: SourceLocation

    /// Creates a flow.
    public init(
        file: String, id: Located<String>, namespace: Located<String>, revision: Located<Int>? = nil,
        description: Located<String>? = nil, labels: [FlowLabel] = [], inputs: [FlowInput] = [],
        variables: YAMLNode? = nil, tasks: [FlowTask], errors: [FlowTask] = [], finally: [FlowTask] = [],
        afterExecution: [FlowTask] = [], outputs: [FlowOutput] = [], pluginDefaults: [PluginDefault] = [],
        disabled: Located<Bool>, location: SourceLocation
    ) {
        self.errors = errors
        self.finally = finally
        self.afterExecution = afterExecution
        self.outputs = outputs
        self.file = file
        self.id = id
        self.namespace = namespace
        self.revision = revision
        self.description = description
        self.labels = labels
        self.inputs = inputs
        self.variables = variables
        self.tasks = tasks
        self.pluginDefaults = pluginDefaults
        self.disabled = disabled
        self.location = location
    }

    /// Every task of the flow, depth first in file order, including nested tasks and the flow's `errors`,
    /// `finally` and `afterExecution` tasks.
    public var allTasks: [FlowTask] {
        var result: [FlowTask] = []
        func visit(_ tasks: [FlowTask]) {
            for task in tasks {
                result.append(task)
                visit(task.childTasks)
            }
        }
        visit(tasks + errors + finally + afterExecution)
        return result
    }

    /// The task with this id, searched in nested tasks too.
    public func task(withID id: String) -> FlowTask? {
        allTasks.first { $0.id.value == id }
    }
}

/// One flow label.
public struct FlowLabel: Sendable, Equatable {
    /// The label key.
    public var key: Located<String>
    /// The label value (may be a template).
    public var value: Located<String>

    /// Creates a label.
    public init(key: Located<String>, value: Located<String>) {
        self.key = key
        self.value = value
    }
}
