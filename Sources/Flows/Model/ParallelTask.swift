/// `io.kestra.plugin.core.flow.Parallel`: runs its `tasks` at the same time.
public struct ParallelTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.flow.Parallel"

    /// id, type and the other shared properties.
    public var common: TaskCommon

    /// The task id (`common.id`).
    public var id: Located<String> { common.id }
    /// The tasks to run (at least one).
    public var tasks: [FlowTask]
    /// How many tasks run at once; 0 (the default) means all of them.
    public var concurrent: Located<Int>
    /// `errors` and `finally`.
    public var handlers: TaskHandlers

    /// Creates a parallel task.
    public init(
        common: TaskCommon, tasks: [FlowTask], concurrent: Located<Int>, handlers: TaskHandlers = TaskHandlers()
    ) {
        self.common = common
        self.handlers = handlers
        self.tasks = tasks
        self.concurrent = concurrent
    }
}
