/// `io.kestra.plugin.core.flow.ForEach`: runs its `tasks` once per value.
public struct ForEachTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.flow.ForEach"

    /// Where the values come from.
    public enum Values: Sendable, Equatable {
        /// A YAML list as written (items that are mappings or lists are passed on as JSON).
        case list([YAMLNode])
        /// A JSON array written as a string, already checked and split into its items' JSON texts.
        case json(Located<String>, items: [String])
        /// A template that renders to a list or a JSON array at run time.
        case template(Located<String>)
    }

    /// id, type and the other shared properties.
    public var common: TaskCommon

    /// The task id (`common.id`).
    public var id: Located<String> { common.id }
    /// The values to iterate over.
    public var values: Values
    /// How many iterations run at once: 1 by default, 0 means no limit.
    public var concurrencyLimit: Located<Int>
    /// The tasks to run for each value (at least one).
    public var tasks: [FlowTask]
    /// `errors` and `finally`.
    public var handlers: TaskHandlers

    /// Creates a ForEach task.
    public init(
        common: TaskCommon, values: Values, concurrencyLimit: Located<Int>, tasks: [FlowTask],
        handlers: TaskHandlers = TaskHandlers()
    ) {
        self.common = common
        self.handlers = handlers
        self.values = values
        self.concurrencyLimit = concurrencyLimit
        self.tasks = tasks
    }
}
