/// A property value that is either known when the flow is read, or a Pebble template rendered at run time.
///
/// Kestra accepts a template wherever a property is dynamic, even for numbers and booleans
/// (`maxRetryCount: "{{ inputs.retries }}"`); the model keeps such a template unrendered.
public enum Dynamic<Value: Sendable & Equatable>: Sendable, Equatable {
    /// A value written literally.
    case value(Value)
    /// An unrendered template (the text contains `{{` or `{%`).
    case template(String)

    /// The literal value, or nil for a template.
    public var value: Value? {
        if case .value(let v) = self { return v }
        return nil
    }

    /// The template text, or nil for a literal value.
    public var template: String? {
        if case .template(let t) = self { return t }
        return nil
    }

    /// True when the value is only known after rendering.
    public var isDynamic: Bool { template != nil }
}
