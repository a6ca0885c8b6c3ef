/// The `is` tests: `defined`, `null`, `empty`, `even`, `odd`, `iterable`, `map`, `json`.
extension Evaluator {
    static let testNames = ["defined", "null", "none", "empty", "even", "odd", "iterable", "map", "json"]

    func applyTest(
        _ name: String, _ input: Expression, _ arguments: [Expression.Argument], at position: TemplatePosition
    )
        throws(TemplateFailure) -> Bool
    {
        guard Self.testNames.contains(name) else { throw Self.unknownTest(name, at: position) }
        if name == "defined" {
            // Pebble counts a null value as not defined.
            guard let value = try lenient(input) else { return false }
            return value != .null
        }
        let value = try evaluate(input)
        switch name {
        case "null", "none": return value == .null
        case "empty": return value.isEmptyValue
        case "even", "odd":
            guard case .int(let int) = value else {
                throw TemplateFailure(
                    .type, at: position, "test '\(name)' needs an integer, not \(value.typeDescription)")
            }
            return (int % 2 == 0) == (name == "even")
        case "iterable":
            if case .list = value { return true }
            if case .map = value { return true }
            return false
        case "map":
            if case .map = value { return true }
            return false
        case "json":
            guard case .string(let text) = value else { return false }
            return (try? JSONReader.parse(text, maxDepth: limits.maxNesting)) != nil
        default:
            return false
        }
    }

    /// `unknown test 'name'`, with the closest known test when one looks like a typo, and the list of tests.
    static func unknownTest(_ name: String, at position: TemplatePosition) -> TemplateFailure {
        var message = "unknown test '\(name)'"
        if let suggestion = EditDistance.closest(to: name, among: testNames) {
            message += " (did you mean '\(suggestion)'?)"
        }
        return TemplateFailure(
            .unknownName, at: position, message + "; tests: \(testNames.joined(separator: ", "))")
    }
}
