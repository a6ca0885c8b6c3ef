/// Reads the properties of one YAML mapping with their expected types, reporting wrong types,
/// missing required properties (at the start of the mapping) and unknown properties (with the closest
/// known name suggested).
///
/// A null value (`key:` with nothing after it) counts as absent, as Jackson reads it.
struct MappingReader {
    let context: ParseContext
    /// What the mapping describes, in messages: `flow`, a type name, `retry`, ….
    let owner: String
    let location: SourceLocation
    let entries: [YAMLEntry]

    /// Nil (after reporting) when `node` is not a mapping.
    init?(_ node: YAMLNode, owner: String, context: ParseContext) {
        guard let entries = node.entries else {
            context.error("\(owner) must be a mapping of properties, found \(node.shapeDescription)", at: node.location)
            return nil
        }
        self.context = context
        self.owner = owner
        self.location = node.location
        self.entries = entries
    }

    /// The same mapping, named differently in messages (once its id is known, for instance).
    func renamed(owner: String) -> MappingReader {
        MappingReader(context: context, owner: owner, location: location, entries: entries)
    }

    private init(context: ParseContext, owner: String, location: SourceLocation, entries: [YAMLEntry]) {
        self.context = context
        self.owner = owner
        self.location = location
        self.entries = entries
    }

    /// The value of `key`, nil when absent or null.
    func node(_ key: String) -> YAMLNode? {
        guard let value = entries.first(where: { $0.key.value == key })?.value else { return nil }
        if case .scalar(let s) = value.kind, s.value == .null { return nil }
        return value
    }

    /// Where `key` is written, if it is.
    func keyLocation(_ key: String) -> SourceLocation? {
        entries.first { $0.key.value == key }?.key.location
    }

    func missing(_ key: String) {
        context.error("missing required property '\(key)' for \(owner)", at: location)
    }

    private func wrongType(_ key: String, _ expected: String, _ node: YAMLNode) {
        var found = node.shapeDescription
        if let scalar = node.scalar, case .string(let text) = scalar.value {
            found = "'\(text.count > 60 ? String(text.prefix(57)) + "..." : text)'"
        } else if let scalar = node.scalar, scalar.value != .null {
            found = "\(node.shapeDescription) '\(scalar.text)'"
        }
        context.error("property '\(key)' of \(owner) must be \(expected), found \(found)", at: node.location)
    }

    private func notDynamic(_ key: String, _ expected: String, _ node: YAMLNode) {
        context.error(
            "property '\(key)' of \(owner) is not dynamic: write \(expected), not a template", at: node.location)
    }

    /// Reports every key not in `known`; `explanations` gives a specific message for some names.
    func rejectUnknown(known: [String], explanations: [String: String] = [:]) {
        for entry in entries where !known.contains(entry.key.value) {
            let key = entry.key.value
            if key == "<<" {
                context.error(
                    "YAML merge keys ('<<') are not supported: copy the properties, or use pluginDefaults",
                    at: entry.key.location)
            } else if let explanation = explanations[key] {
                context.error(explanation, at: entry.key.location)
            } else if let suggestion = Suggestion.closest(to: key, in: known) {
                context.error(
                    "unknown property '\(key)' for \(owner) (did you mean '\(suggestion)'?)", at: entry.key.location)
            } else {
                context.error(
                    "unknown property '\(key)' for \(owner): known properties are \(known.joined(separator: ", "))",
                    at: entry.key.location)
            }
        }
    }

    // MARK: Scalars

    /// A string (numbers and booleans are taken as their text, as Jackson coerces them).
    func string(_ key: String, required: Bool = false) -> Located<String>? {
        guard let node = node(key) else {
            if required { missing(key) }
            return nil
        }
        guard let scalar = node.scalar else {
            wrongType(key, "a string", node)
            return nil
        }
        return Located(scalar.text, at: node.location)
    }

    /// A boolean that cannot be a template.
    func bool(_ key: String, default defaultValue: Bool) -> Located<Bool> {
        let fallback = Located(defaultValue, at: location, isDefault: true)
        guard let node = node(key) else { return fallback }
        switch booleanValue(node) {
        case .value(let value)?: return Located(value, at: node.location)
        case .template?:
            notDynamic(key, "true or false", node)
            return fallback
        case nil:
            wrongType(key, "a boolean (true or false)", node)
            return fallback
        }
    }

    /// A boolean that may be a template.
    func dynamicBool(_ key: String, default defaultValue: Bool) -> Located<Dynamic<Bool>> {
        let fallback = Located(Dynamic.value(defaultValue), at: location, isDefault: true)
        guard let node = node(key) else { return fallback }
        guard let value = booleanValue(node) else {
            wrongType(key, "a boolean (true or false)", node)
            return fallback
        }
        return Located(value, at: node.location)
    }

    private func booleanValue(_ node: YAMLNode) -> Dynamic<Bool>? {
        guard let scalar = node.scalar else { return nil }
        if case .bool(let value) = scalar.value { return .value(value) }
        switch scalar.text.lowercased() {
        case "true": return .value(true)
        case "false": return .value(false)
        default: return scalar.isTemplate ? .template(scalar.text) : nil
        }
    }

    /// An integer that cannot be a template, checked against `range`.
    func int(_ key: String, range: ClosedRange<Int>? = nil) -> Located<Int>? {
        guard let node = node(key) else { return nil }
        switch integerValue(node) {
        case .value(let value)?:
            if let range, !range.contains(value) {
                context.error(
                    "property '\(key)' of \(owner) must be \(Self.describe(range)), found \(value)", at: node.location)
                return nil
            }
            return Located(value, at: node.location)
        case .template?:
            notDynamic(key, "a whole number", node)
            return nil
        case nil:
            wrongType(key, "a whole number", node)
            return nil
        }
    }

    /// An integer that may be a template, checked against `range` when literal.
    func dynamicInt(_ key: String, range: ClosedRange<Int>? = nil) -> Located<Dynamic<Int>>? {
        guard let node = node(key) else { return nil }
        guard let value = integerValue(node) else {
            wrongType(key, "a whole number", node)
            return nil
        }
        if let range, let literal = value.value, !range.contains(literal) {
            context.error(
                "property '\(key)' of \(owner) must be \(Self.describe(range)), found \(literal)", at: node.location)
            return nil
        }
        return Located(value, at: node.location)
    }

    private func integerValue(_ node: YAMLNode) -> Dynamic<Int>? {
        guard let scalar = node.scalar else { return nil }
        if case .int(let value) = scalar.value { return .value(value) }
        if let value = Int(scalar.text.trimmingWhitespace) { return .value(value) }
        return scalar.isTemplate ? .template(scalar.text) : nil
    }

    /// A number (integer or decimal) that cannot be a template.
    func double(_ key: String) -> Located<Double>? {
        guard let node = node(key) else { return nil }
        if let scalar = node.scalar {
            switch scalar.value {
            case .int(let value): return Located(Double(value), at: node.location)
            case .float(let value) where value.isFinite: return Located(value, at: node.location)
            default:
                if let value = Double(scalar.text.trimmingWhitespace), value.isFinite {
                    return Located(value, at: node.location)
                }
            }
        }
        wrongType(key, "a number", node)
        return nil
    }

    /// A duration that cannot be a template.
    func duration(_ key: String) -> Located<ISODuration>? {
        guard let node = node(key) else { return nil }
        switch durationValue(node) {
        case .value(let value)?: return Located(value, at: node.location)
        case .template?:
            notDynamic(key, "a duration such as PT1H", node)
            return nil
        case nil:
            wrongType(key, "an ISO-8601 duration such as PT5M or PT1H30M", node)
            return nil
        }
    }

    /// A duration that may be a template.
    func dynamicDuration(_ key: String) -> Located<Dynamic<ISODuration>>? {
        guard let node = node(key) else { return nil }
        guard let value = durationValue(node) else {
            wrongType(key, "an ISO-8601 duration such as PT5M or PT1H30M", node)
            return nil
        }
        return Located(value, at: node.location)
    }

    private func durationValue(_ node: YAMLNode) -> Dynamic<ISODuration>? {
        guard let scalar = node.scalar else { return nil }
        if let duration = ISODuration.parse(scalar.text), duration.nanoseconds >= 0 { return .value(duration) }
        return scalar.isTemplate ? .template(scalar.text) : nil
    }

    /// One of an enumeration's raw values (compared without case, as Jackson's enums in Kestra).
    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type, required: Bool = false)
        -> Located<E>?
    where E.RawValue == String {
        guard let text = string(key, required: required) else { return nil }
        if let value = E.allCases.first(where: { $0.rawValue.lowercased() == text.value.lowercased() }) {
            return Located(value, at: text.location)
        }
        let names = E.allCases.map(\.rawValue)
        var message =
            "property '\(key)' of \(owner) must be one of \(names.joined(separator: ", ")), found '\(text.value)'"
        if let suggestion = Suggestion.closest(to: text.value, in: names) {
            message += " (did you mean '\(suggestion)'?)"
        }
        context.error(message, at: text.location)
        return nil
    }

    // MARK: Collections

    /// A list of strings.
    func stringList(_ key: String, required: Bool = false) -> [Located<String>]? {
        guard let node = node(key) else {
            if required { missing(key) }
            return nil
        }
        guard let items = node.items else {
            wrongType(key, "a list", node)
            return nil
        }
        var result: [Located<String>] = []
        for item in items {
            guard let scalar = item.scalar, scalar.value != .null else {
                context.error(
                    "items of '\(key)' of \(owner) must be strings, found \(item.shapeDescription)", at: item.location)
                continue
            }
            result.append(Located(scalar.text, at: item.location))
        }
        return result
    }

    /// A mapping of strings to strings, in file order.
    func stringMap(_ key: String) -> [(key: Located<String>, value: Located<String>)]? {
        guard let node = node(key) else { return nil }
        guard let entries = node.entries else {
            wrongType(key, "a mapping", node)
            return nil
        }
        var result: [(key: Located<String>, value: Located<String>)] = []
        for entry in entries {
            guard let scalar = entry.value.scalar else {
                context.error(
                    "values of '\(key)' of \(owner) must be strings, found \(entry.value.shapeDescription) for "
                        + "'\(entry.key.value)'", at: entry.value.location)
                continue
            }
            result.append((entry.key, Located(scalar.value == .null ? "" : scalar.text, at: entry.value.location)))
        }
        return result
    }

    /// A list of mappings, each read by `read`.
    func mappingList<T>(_ key: String, itemOwner: String, _ read: (MappingReader) -> T?) -> [T]? {
        guard let node = node(key) else { return nil }
        guard let items = node.items else {
            wrongType(key, "a list", node)
            return nil
        }
        return items.compactMap { item in
            MappingReader(item, owner: itemOwner, context: context).flatMap(read)
        }
    }

    /// A nested mapping, read by `read`.
    func mapping<T>(_ key: String, owner nestedOwner: String, _ read: (MappingReader) -> T?) -> T? {
        guard let node = node(key) else { return nil }
        return MappingReader(node, owner: nestedOwner, context: context).flatMap(read)
    }

    private static func describe(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "at least \(range.lowerBound)" }
        return "between \(range.lowerBound) and \(range.upperBound)"
    }
}
