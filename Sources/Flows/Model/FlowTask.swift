/// A task of a flow: a script task, or a flowable task that runs other tasks.
public indirect enum FlowTask: Sendable, Equatable {
    /// A python, shell or node `Commands` or `Script` task.
    case script(ScriptTask)
    /// `io.kestra.plugin.core.flow.Parallel`.
    case parallel(ParallelTask)
    /// `io.kestra.plugin.core.flow.ForEach`.
    case forEach(ForEachTask)
    /// `io.kestra.plugin.core.log.Log`.
    case log(LogTask)
    /// `io.kestra.plugin.core.debug.Return`.
    case returnValue(ReturnTask)
    /// `io.kestra.plugin.core.output.OutputValues`.
    case outputValues(OutputValuesTask)
    /// `io.kestra.plugin.core.flow.If`.
    case ifTask(IfTask)
    /// `io.kestra.plugin.core.flow.Switch`.
    case switchTask(SwitchTask)
    /// `io.kestra.plugin.core.flow.Sequential`.
    case sequential(SequentialTask)
    /// `io.kestra.plugin.core.flow.Pause` with a delay.
    case pause(PauseTask)
    /// `io.kestra.plugin.core.flow.Subflow`.
    case subflow(SubflowTask)

    /// The properties every task has.
    public var common: TaskCommon {
        switch self {
        case .script(let task): return task.common
        case .parallel(let task): return task.common
        case .forEach(let task): return task.common
        case .log(let task): return task.common
        case .returnValue(let task): return task.common
        case .outputValues(let task): return task.common
        case .ifTask(let task): return task.common
        case .switchTask(let task): return task.common
        case .sequential(let task): return task.common
        case .pause(let task): return task.common
        case .subflow(let task): return task.common
        }
    }

    /// The task id.
    public var id: Located<String> { common.id }

    /// The task's type, as written.
    public var type: Located<String> { common.type }

    /// The tasks this task runs, its `errors` and `finally` handlers included (empty for a runnable task).
    public var childTasks: [FlowTask] {
        switch self {
        case .script, .log, .returnValue, .outputValues, .pause, .subflow: return []
        case .parallel(let task): return task.tasks + task.handlers.all
        case .forEach(let task): return task.tasks + task.handlers.all
        case .ifTask(let task): return task.then + task.otherwise + task.handlers.all
        case .switchTask(let task): return task.cases.flatMap(\.tasks) + task.defaults + task.handlers.all
        case .sequential(let task): return task.tasks + task.handlers.all
        }
    }

    /// Whether the task runs other tasks (Kestra's flowable tasks).
    public var isFlowable: Bool {
        switch self {
        case .parallel, .forEach, .ifTask, .switchTask, .sequential: return true
        case .script, .log, .returnValue, .outputValues, .pause, .subflow: return false
        }
    }
}

/// Properties shared by all tasks.
public struct TaskCommon: Sendable, Equatable {
    /// The id, matching `^[a-zA-Z0-9][a-zA-Z0-9_-]*` (no dots), unique in the flow.
    public var id: Located<String>
    /// The fully qualified type.
    public var type: Located<String>
    /// A description.
    public var description: Located<String>?
    /// The maximum run time of one attempt, or nil for none.
    public var timeout: Located<Dynamic<ISODuration>>?
    /// How failed attempts are retried, or nil for no retry.
    public var retry: RetryPolicy?
    /// When true, a failure of this task does not fail the execution (default false).
    public var allowFailure: Located<Bool>
    /// When true, the task is skipped (default false).
    public var disabled: Located<Bool>
    /// Where the task's mapping starts.
    public var location: SourceLocation

    /// Creates the common properties.
    public init(
        id: Located<String>, type: Located<String>, description: Located<String>? = nil,
        timeout: Located<Dynamic<ISODuration>>? = nil, retry: RetryPolicy? = nil, allowFailure: Located<Bool>,
        disabled: Located<Bool>, location: SourceLocation
    ) {
        self.id = id
        self.type = type
        self.description = description
        self.timeout = timeout
        self.retry = retry
        self.allowFailure = allowFailure
        self.disabled = disabled
        self.location = location
    }
}
