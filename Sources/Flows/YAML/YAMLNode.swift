/// A YAML value read from a flow file, with the location of every node and key.
///
/// This is the generic representation kept for free-form parts of a flow (`variables`, input
/// `defaults`, `pluginDefaults` values, `ForEach` values). Aliases are already expanded; keys are
/// always strings (Kestra, through Jackson, accepts nothing else).
public struct YAMLNode: Sendable, Hashable {
    /// The shape of a node.
    public enum Kind: Sendable, Hashable {
        /// A scalar (string, number, boolean or null, see `YAMLScalar.value`).
        case scalar(YAMLScalar)
        /// A sequence, in order.
        case sequence([YAMLNode])
        /// A mapping, in file order; keys are unique.
        case mapping([YAMLEntry])
    }

    /// The node's content.
    public var kind: Kind
    /// Where the node starts (for a block mapping, its first key).
    public var location: SourceLocation
    /// True for flow-style collections (`{…}` or `[…]`).
    public var isFlowStyle: Bool

    /// Creates a node.
    public init(_ kind: Kind, at location: SourceLocation, isFlowStyle: Bool = false) {
        self.kind = kind
        self.location = location
        self.isFlowStyle = isFlowStyle
    }

    /// The scalar, if this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let s) = kind { return s }
        return nil
    }

    /// The entries, if this node is a mapping.
    public var entries: [YAMLEntry]? {
        if case .mapping(let e) = kind { return e }
        return nil
    }

    /// The items, if this node is a sequence.
    public var items: [YAMLNode]? {
        if case .sequence(let i) = kind { return i }
        return nil
    }

    /// The value for `key` if this node is a mapping that has it.
    public subscript(key: String) -> YAMLNode? {
        entries?.first { $0.key.value == key }?.value
    }

    /// A short name of the node's shape for messages: "a string", "a mapping", ….
    var shapeDescription: String {
        switch kind {
        case .scalar(let s): return s.value.typeDescription
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One `key: value` pair of a mapping.
public struct YAMLEntry: Sendable, Hashable {
    /// The key and where it is written.
    public var key: Located<String>
    /// The value.
    public var value: YAMLNode

    /// Creates an entry.
    public init(key: Located<String>, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A scalar as written, and its value under YAML's core schema (quoted scalars are always strings).
public struct YAMLScalar: Sendable, Hashable {
    /// How the scalar was written.
    public enum Style: Sendable, Hashable {
        /// Unquoted.
        case plain
        /// In single or double quotes.
        case quoted
        /// A `|` or `>` block.
        case block
    }

    /// A scalar's typed value.
    public enum Value: Sendable, Hashable {
        /// `null`, `~` or nothing.
        case null
        /// `true` or `false`.
        case bool(Bool)
        /// An integer.
        case int(Int)
        /// A floating-point number.
        case float(Double)
        /// Anything else, or anything quoted.
        case string(String)

        var typeDescription: String {
            switch self {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .float: return "a number"
            case .string: return "a string"
            }
        }
    }

    /// The text of the scalar after YAML unescaping.
    public var text: String
    /// How it was written.
    public var style: Style

    /// Creates a scalar.
    public init(text: String, style: Style) {
        self.text = text
        self.style = style
    }

    /// The typed value: plain scalars are resolved with YAML 1.2's core schema.
    public var value: Value {
        guard style == .plain else { return .string(text) }
        return Self.resolvePlain(text)
    }

    /// True when the text contains a Pebble expression or tag (`{{` or `{%`), so it is rendered at run time.
    public var isTemplate: Bool { Self.isTemplate(text) }

    static func isTemplate(_ text: String) -> Bool {
        text.contains("{{") || text.contains("{%")
    }

    static func resolvePlain(_ text: String) -> Value {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        if let int = parseInteger(text) { return .int(int) }
        if isFloatSyntax(text), let double = Double(text) { return .float(double) }
        return .string(text)
    }

    private static func parseInteger(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "-" || first == "+" {
            negative = first == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        let radix: Int
        if body.hasPrefix("0x") {
            radix = 16
            body = body.dropFirst(2)
        } else if body.hasPrefix("0o") {
            radix = 8
            body = body.dropFirst(2)
        } else {
            radix = 10
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isHexDigit }),
            let magnitude = Int(body, radix: radix)
        else { return nil }
        return negative ? -magnitude : magnitude
    }

    private static func isFloatSyntax(_ text: String) -> Bool {
        // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        var chars = Array(text.unicodeScalars)
        if let first = chars.first, first == "-" || first == "+" { chars.removeFirst() }
        var index = 0
        func digits() -> Int {
            let start = index
            while index < chars.count, ("0"..."9").contains(chars[index]) { index += 1 }
            return index - start
        }
        let whole = digits()
        var fraction = 0
        if index < chars.count, chars[index] == "." {
            index += 1
            fraction = digits()
        }
        guard whole > 0 || fraction > 0 else { return false }
        if index < chars.count, chars[index] == "e" || chars[index] == "E" {
            index += 1
            if index < chars.count, chars[index] == "-" || chars[index] == "+" { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == chars.count
    }
}
