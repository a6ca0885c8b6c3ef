/// A task of a flow: a script task, or a flowable task that runs other tasks.
public indirect enum FlowTask: Sendable, Equatable {
    /// A python, shell or node `Commands` or `Script` task.
    case script(ScriptTask)
    /// `io.kestra.plugin.core.flow.Parallel`.
    case parallel(ParallelTask)
    /// `io.kestra.plugin.core.flow.ForEach`.
    case forEach(ForEachTask)

    /// The properties every task has.
    public var common: TaskCommon {
        switch self {
        case .script(let task): return task.common
        case .parallel(let task): return task.common
        case .forEach(let task): return task.common
        }
    }

    /// The task id.
    public var id: Located<String> { common.id }

    /// The task's type, as written.
    public var type: Located<String> { common.type }

    /// The tasks this task runs (empty for a script task).
    public var childTasks: [FlowTask] {
        switch self {
        case .script: return []
        case .parallel(let task): return task.tasks
        case .forEach(let task): return task.tasks
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
