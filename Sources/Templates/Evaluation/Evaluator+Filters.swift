/// Filter dispatch. Each family lives in its own file; an unknown name is an error that suggests the closest one.
extension Evaluator {
    static let filterNames = [
        "abbreviate", "abs", "base64decode", "base64encode", "capitalize", "chunk", "date", "dateAdd", "default",
        "endsWith", "first",
        "flatten", "indent", "join", "json", "keys", "last", "length", "lower", "md5", "merge", "nindent", "number",
        "replace", "reverse", "rsort",
        "sha1", "sha256", "sha512", "slice", "slugify", "sort", "split", "startsWith", "substringAfter",
        "substringAfterLast",
        "substringBefore", "substringBeforeLast", "timestamp", "timestampMicro", "timestampMilli", "timestampNano",
        "title", "toJson", "trim", "upper", "urldecode",
        "urlencode", "values",
    ]

    func applyFilter(_ name: String, to input: TemplateValue, _ args: Arguments, inputExpression: Expression)
        throws(TemplateFailure) -> TemplateValue
    {
        if let result = try stringFilter(name, input, args) { return result }
        if let result = try collectionFilter(name, input, args) { return result }
        if let result = try encodingFilter(name, input, args) { return result }
        if let result = try dateFilter(name, input, args) { return result }
        throw Self.unknownFilter(name, at: args.position)
    }

    /// `unknown filter 'name'`, with the closest known filter when one looks like a typo.
    static func unknownFilter(_ name: String, at position: TemplatePosition) -> TemplateFailure {
        var message = "unknown filter '\(name)'"
        if let suggestion = EditDistance.closest(to: name, among: filterNames) {
            message += " (did you mean '\(suggestion)'?)"
        }
        return TemplateFailure(.unknownName, at: position, message)
    }

    /// The input of a string filter: nil for null (the filter then returns null, as Pebble's do), the printed form
    /// of numbers and booleans, an error for lists and maps.
    func stringInput(_ input: TemplateValue, _ args: Arguments) throws(TemplateFailure) -> String? {
        switch input {
        case .null: return nil
        case .string(let string): return string
        case .int, .double, .bool: return input.outputText
        case .list, .map: throw args.failure("needs a string, not \(input.typeDescription)")
        }
    }
}
