/// A value together with the place in the flow file it came from.
///
/// Defaults that the file does not spell out are located at the start of the mapping that omits them.
public struct Located<Value: Sendable>: Sendable {
    /// The value.
    public var value: Value
    /// Where the value was written (or, for a default, the mapping that lacks it).
    public var location: SourceLocation
    /// True when the value was not written in the file and comes from a default.
    public var isDefault: Bool

    /// Creates a located value.
    public init(_ value: Value, at location: SourceLocation, isDefault: Bool = false) {
        self.value = value
        self.location = location
        self.isDefault = isDefault
    }

    /// The same location with a transformed value.
    public func map<T: Sendable>(_ transform: (Value) throws -> T) rethrows -> Located<T> {
        Located<T>(try transform(value), at: location, isDefault: isDefault)
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

extension Located where Value == String {
    /// True when the string contains a Pebble expression or tag (`{{` or `{%`) and is rendered at run time.
    public var isTemplate: Bool { YAMLScalar.isTemplate(value) }
}
