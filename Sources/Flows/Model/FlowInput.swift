/// A flow input: `id`, `type`, optional `defaults`, `required` (Kestra's default: true), and the checks Kestra's
/// input types carry (`validator`, `min`/`max`, `after`/`before`, `values`, `itemType`).
public struct FlowInput: Sendable, Equatable {
    /// Kestra's input types. `SECRET` is parsed to be refused by name: its value would have to be stored
    /// encrypted, and a ledger keeps no secret values.
    public enum InputType: String, Sendable, CaseIterable {
        /// Any text (`validator`: a regular expression the whole value must match).
        case string = "STRING"
        /// A whole number (`min`, `max`).
        case int = "INT"
        /// A number (`min`, `max`).
        case float = "FLOAT"
        /// `true` or `false`.
        case boolean = "BOOLEAN"
        /// Kestra's other name for BOOLEAN.
        case bool = "BOOL"
        /// An ISO-8601 instant such as 2026-12-07T10:00:00Z (`after`, `before`).
        case datetime = "DATETIME"
        /// An ISO-8601 date such as 2026-12-07 (`after`, `before`).
        case date = "DATE"
        /// An ISO-8601 local time such as 10:15:30 (`after`, `before`).
        case time = "TIME"
        /// An ISO-8601 duration such as PT5M (`min`, `max`).
        case duration = "DURATION"
        /// Any JSON value.
        case json = "JSON"
        /// A YAML document, given as text.
        case yaml = "YAML"
        /// An absolute URI with a scheme.
        case uri = "URI"
        /// An e-mail address.
        case email = "EMAIL"
        /// One of `values`.
        case enumeration = "ENUM"
        /// One of `values` (or any text with `allowCustomValue: true`).
        case select = "SELECT"
        /// A JSON list of some of `values` (any text with `allowCustomValue: true`).
        case multiselect = "MULTISELECT"
        /// A JSON list whose items are of `itemType`.
        case array = "ARRAY"
        /// A file, uploaded with the execution; its value is a `kestra:///` URI.
        case file = "FILE"
        /// Refused: see the type's documentation.
        case secret = "SECRET"

        /// BOOL and BOOLEAN are one type.
        public var canonical: InputType { self == .bool ? .boolean : self }
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
    /// What a value of this input must also satisfy.
    public var constraints: Constraints

    /// Kestra's per-type checks, as written.
    public struct Constraints: Sendable, Equatable {
        /// STRING: a regular expression the whole value must match.
        public var validator: Located<String>?
        /// INT, FLOAT, DURATION: the smallest and largest value allowed (inclusive), as written.
        public var min: Located<String>?
        public var max: Located<String>?
        /// DATETIME, DATE, TIME: values must be after / before these (exclusive), as written.
        public var after: Located<String>?
        public var before: Located<String>?
        /// ENUM, SELECT, MULTISELECT: the allowed values.
        public var values: [Located<String>]
        /// SELECT, MULTISELECT: accept a value outside `values`.
        public var allowCustomValue: Bool
        /// ARRAY: the type of every item.
        public var itemType: Located<InputType>?

        public init(
            validator: Located<String>? = nil, min: Located<String>? = nil, max: Located<String>? = nil,
            after: Located<String>? = nil, before: Located<String>? = nil, values: [Located<String>] = [],
            allowCustomValue: Bool = false, itemType: Located<InputType>? = nil
        ) {
            self.validator = validator
            self.min = min
            self.max = max
            self.after = after
            self.before = before
            self.values = values
            self.allowCustomValue = allowCustomValue
            self.itemType = itemType
        }
    }

    /// Creates an input.
    public init(
        id: Located<String>, type: Located<InputType>, description: Located<String>? = nil,
        displayName: Located<String>? = nil, defaults: YAMLNode? = nil, required: Located<Bool>,
        location: SourceLocation, constraints: Constraints = Constraints()
    ) {
        self.id = id
        self.type = type
        self.description = description
        self.displayName = displayName
        self.defaults = defaults
        self.required = required
        self.location = location
        self.constraints = constraints
    }
}
