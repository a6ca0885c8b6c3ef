/// One flow-level output (Kestra 0.15 and later): a value rendered once the flow's tasks have ended.
public struct FlowOutput: Sendable, Equatable {
    /// The output types BatchLedger renders.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case string = "STRING"
        case int = "INT"
        case float = "FLOAT"
        case boolean = "BOOLEAN"
        case json = "JSON"
    }

    /// The output id, as `outputs.<id>` of the execution.
    public var id: Located<String>
    /// Its type.
    public var type: Located<Kind>
    /// The value, a template.
    public var value: Located<String>
    /// A description.
    public var description: Located<String>?

    /// Creates an output.
    public init(id: Located<String>, type: Located<Kind>, value: Located<String>, description: Located<String>? = nil) {
        self.id = id
        self.type = type
        self.value = value
        self.description = description
    }
}
