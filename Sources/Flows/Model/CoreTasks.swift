/// `io.kestra.plugin.core.log.Log`: writes one or more messages to the execution's logs.
public struct LogTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.log.Log"

    /// Kestra's log levels.
    public enum Level: String, Sendable, Equatable, CaseIterable {
        case trace = "TRACE"
        case debug = "DEBUG"
        case info = "INFO"
        case warn = "WARN"
        case error = "ERROR"
    }

    /// id, type and the other shared properties.
    public var common: TaskCommon
    /// The messages (one for a string, several for a list), each a template.
    public var messages: [Located<String>]
    /// The level, INFO by default.
    public var level: Located<Level>

    /// Creates a Log task.
    public init(common: TaskCommon, messages: [Located<String>], level: Located<Level>) {
        self.common = common
        self.messages = messages
        self.level = level
    }
}

/// `io.kestra.plugin.core.debug.Return`: renders `format` into its output `value`.
public struct ReturnTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.debug.Return"

    /// id, type and the other shared properties.
    public var common: TaskCommon
    /// The template rendered into `value` (nil: `value` is null).
    public var format: Located<String>?

    /// Creates a Return task.
    public init(common: TaskCommon, format: Located<String>?) {
        self.common = common
        self.format = format
    }
}

/// `io.kestra.plugin.core.output.OutputValues`: renders `values` into its output `values`.
public struct OutputValuesTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.output.OutputValues"

    /// id, type and the other shared properties.
    public var common: TaskCommon
    /// The values as written: a mapping whose strings are templates.
    public var values: YAMLNode

    /// Creates an OutputValues task.
    public init(common: TaskCommon, values: YAMLNode) {
        self.common = common
        self.values = values
    }
}

/// `io.kestra.plugin.core.flow.Pause` with a delay: waits, then the flow goes on.
public struct PauseTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.flow.Pause"

    /// id, type and the other shared properties.
    public var common: TaskCommon
    /// How long to wait (`delay`, or `pauseDuration` in Kestra 0.23 and later).
    public var delay: Located<Dynamic<ISODuration>>

    /// Creates a Pause task.
    public init(common: TaskCommon, delay: Located<Dynamic<ISODuration>>) {
        self.common = common
        self.delay = delay
    }
}

/// `io.kestra.plugin.core.flow.Subflow`: runs another flow of the same namespace folder and waits for its end.
public struct SubflowTask: Sendable, Equatable {
    /// The type name.
    public static let typeName = "io.kestra.plugin.core.flow.Subflow"

    /// id, type and the other shared properties.
    public var common: TaskCommon
    /// The child flow's namespace.
    public var namespace: Located<String>
    /// The child flow's id.
    public var flowId: Located<String>
    /// The child flow's revision in a server's flow library (nil: its latest).
    public var revision: Located<Int>?
    /// Inputs given to the child, in file order; string values are templates.
    public var inputs: [YAMLEntry]

    /// Creates a Subflow task.
    public init(
        common: TaskCommon, namespace: Located<String>, flowId: Located<String>, revision: Located<Int>? = nil,
        inputs: [YAMLEntry]
    ) {
        self.common = common
        self.namespace = namespace
        self.flowId = flowId
        self.revision = revision
        self.inputs = inputs
    }
}
