/// What a flowable task runs besides its own branches: `errors` when one of its tasks fails, `finally` always.
public struct TaskHandlers: Sendable, Equatable {
    /// Run, in order, when a task of the flowable fails (without `allowFailure`).
    public var errors: [FlowTask]
    /// Run, in order, once the flowable's tasks (and `errors`) have ended, however they ended.
    public var finally: [FlowTask]

    /// Creates handlers.
    public init(errors: [FlowTask] = [], finally: [FlowTask] = []) {
        self.errors = errors
        self.finally = finally
    }

    /// Every handler task, errors first.
    public var all: [FlowTask] { errors + finally }
}

/// `io.kestra.plugin.core.flow.If`: runs `then` when the condition is true, else `else`.
public struct IfTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.flow.If"

    /// id, type and the other shared properties.
    public var common: TaskCommon
    /// The condition, a template; false when it renders to `false`, `0`, `-0` or nothing (Kestra's rule).
    public var condition: Located<String>
    /// Run when the condition is true (at least one task).
    public var then: [FlowTask]
    /// Run when it is false (may be empty).
    public var otherwise: [FlowTask]
    /// `errors` and `finally`.
    public var handlers: TaskHandlers

    /// Creates an If task.
    public init(
        common: TaskCommon, condition: Located<String>, then: [FlowTask], otherwise: [FlowTask],
        handlers: TaskHandlers = TaskHandlers()
    ) {
        self.common = common
        self.condition = condition
        self.then = then
        self.otherwise = otherwise
        self.handlers = handlers
    }
}

/// `io.kestra.plugin.core.flow.Switch`: runs the tasks of the case equal to the rendered value, else `defaults`.
public struct SwitchTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.flow.Switch"

    /// One case: its key and its tasks.
    public struct Case: Sendable, Equatable {
        /// The value this case matches.
        public var key: Located<String>
        /// Its tasks.
        public var tasks: [FlowTask]

        /// Creates a case.
        public init(key: Located<String>, tasks: [FlowTask]) {
            self.key = key
            self.tasks = tasks
        }
    }

    /// id, type and the other shared properties.
    public var common: TaskCommon
    /// The value, a template.
    public var value: Located<String>
    /// The cases, in file order.
    public var cases: [Case]
    /// Run when no case matches (may be empty).
    public var defaults: [FlowTask]
    /// `errors` and `finally`.
    public var handlers: TaskHandlers

    /// Creates a Switch task.
    public init(
        common: TaskCommon, value: Located<String>, cases: [Case], defaults: [FlowTask],
        handlers: TaskHandlers = TaskHandlers()
    ) {
        self.common = common
        self.value = value
        self.cases = cases
        self.defaults = defaults
        self.handlers = handlers
    }
}

/// `io.kestra.plugin.core.flow.Sequential` (and `AllowFailure`, one whose failure lets the flow go on): runs its
/// tasks one after the other.
public struct SequentialTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.flow.Sequential"
    /// `io.kestra.plugin.core.flow.AllowFailure`: a Sequential with `allowFailure: true`.
    public static let allowFailureTypeName = "io.kestra.plugin.core.flow.AllowFailure"

    /// id, type and the other shared properties.
    public var common: TaskCommon
    /// The tasks (at least one).
    public var tasks: [FlowTask]
    /// `errors` and `finally`.
    public var handlers: TaskHandlers

    /// Creates a Sequential task.
    public init(common: TaskCommon, tasks: [FlowTask], handlers: TaskHandlers = TaskHandlers()) {
        self.common = common
        self.tasks = tasks
        self.handlers = handlers
    }
}
