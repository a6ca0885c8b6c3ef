/// A flow input: `id`, `type`, optional `defaults`, `required` (Kestra's default: true).
public struct FlowInput: Sendable, Equatable {
    /// The input types BatchLedger supports.
    public enum InputType: String, Sendable, CaseIterable {
        /// Any text.
        case string = "STRING"
        /// A whole number.
        case int = "INT"
        /// A number.
        case float = "FLOAT"
        /// `true` or `false`.
        case boolean = "BOOLEAN"
        /// Any JSON value.
        case json = "JSON"
    }

    /// The input id, matching `^[a-zA-Z0-9][.a-zA-Z0-9_-]*`.
    public var id: Located<String>
    /// The type.
    public var type: Located<InputType>
    /// A description.
    public var description: Located<String>?
    /// A display name for user interfaces.
    public var displayName: Located<String>?
    /// The default value as written (for `JSON`, a mapping, a list or a JSON string), or nil.
    public var defaults: YAMLNode?
    /// Whether a value must be given when there is no default (true by default, as in Kestra).
    public var required: Located<Bool>
    /// Where the input's mapping starts.
    public var location: SourceLocation

    /// Creates an input.
    public init(
        id: Located<String>, type: Located<InputType>, description: Located<String>? = nil,
        displayName: Located<String>? = nil, defaults: YAMLNode? = nil, required: Located<Bool>,
        location: SourceLocation
    ) {
        self.id = id
        self.type = type
        self.description = description
        self.displayName = displayName
        self.defaults = defaults
        self.required = required
        self.location = location
    }
}
