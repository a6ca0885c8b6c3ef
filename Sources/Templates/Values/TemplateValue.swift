/// A value that a template expression produces or reads from its context.
///
/// Maps keep insertion order. Dates are ISO-8601 strings (as Kestra's context carries them); the `date` and
/// `dateAdd` filters parse them when needed.
public enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateValue])
    case map(OrderedMap)

    /// A short name of the value's type, for error messages ("a string", "a map", …).
    var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .list: "a list"
        case .map: "a map"
        }
    }

    /// Pebble's truthiness for `if`, `and`, `or`, `not` and the ternary: null, false, zero, and the empty string,
    /// list and map are false.
    var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let value): value
        case .int(let value): value != 0
        case .double(let value): value != 0
        case .string(let value): !value.isEmpty
        case .list(let value): !value.isEmpty
        case .map(let value): !value.isEmpty
        }
    }

    /// Pebble's `empty` test (also used by `default`): null, a blank string, an empty list or map.
    var isEmptyValue: Bool {
        switch self {
        case .null: true
        case .string(let value): value.allSatisfy(\.isWhitespace)
        case .list(let value): value.isEmpty
        case .map(let value): value.isEmpty
        default: false
        }
    }

    /// The numeric value as a Double, for integers and numbers.
    var numericValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .map(OrderedMap(elements)) }
}
