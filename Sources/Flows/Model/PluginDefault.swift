/// One `pluginDefaults:` entry: values applied to every task (or task runner) whose type starts with `type`.
///
/// Without `forced`, a task's own values win over the defaults; with `forced: true` the defaults win.
/// Mappings are merged key by key, recursively; lists and scalars are replaced.
public struct PluginDefault: Sendable, Equatable {
    /// The type, or a type prefix such as `io.kestra.plugin.scripts`.
    public var type: Located<String>
    /// Whether the defaults override the task's own values.
    public var forced: Located<Bool>
    /// The default property values, a mapping.
    public var values: YAMLNode
    /// Where the entry starts.
    public var location: SourceLocation

    /// Creates an entry.
    public init(type: Located<String>, forced: Located<Bool>, values: YAMLNode, location: SourceLocation) {
        self.type = type
        self.forced = forced
        self.values = values
        self.location = location
    }

    /// Whether this entry applies to a plugin of `pluginType`: Kestra's rule, `pluginType.startsWith(type)`.
    public func applies(to pluginType: String) -> Bool {
        !type.value.isEmpty && pluginType.hasPrefix(type.value)
    }
}
