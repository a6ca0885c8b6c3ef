/// Expression evaluation: variables and access paths (strict or lenient), operators, tests, filters, functions.
extension Evaluator {
    /// Evaluates `expression` strictly: an undefined variable or attribute is an error.
    ///
    /// This function recurses, so it only dispatches: each case lives in its own function, which keeps the frame
    /// that every nesting level pays for small (debug builds give each local of a big switch its own stack slot).
    func evaluate(_ expression: Expression) throws(TemplateFailure) -> TemplateValue {
        try enterNesting(at: expression.position)
        defer { leaveNesting() }
        switch expression.kind {
        case .literal(let value): return value
        case .variable(let name): return try evaluateVariable(name, expression)
        case .attribute(let base, let name): return try evaluateAttribute(base, name, expression)
        case .subscripted(let base, let index): return try evaluateSubscript(base, index, expression)
        case .list(let items): return try evaluateList(items)
        case .map(let entries): return try evaluateMap(entries)
        case .unary(let op, let operand): return try evaluateUnary(op, operand, expression)
        case .binary(let op, let left, let right): return try binary(op, left, right, at: expression.position)
        case .ternary(let condition, let whenTrue, let whenFalse):
            return try evaluateTernary(condition, whenTrue, whenFalse)
        case .filter(let input, let name, let arguments): return try evaluateFilter(input, name, arguments, expression)
        case .test(let input, let name, let arguments, let negated):
            return try evaluateTest(input, name, arguments, negated, expression)
        case .call(let name, let arguments): return try evaluateCall(name, arguments, expression)
        }
    }

    private func evaluateVariable(_ name: String, _ expression: Expression) throws(TemplateFailure) -> TemplateValue {
        guard let value = variable(name) else {
            throw undefined(expression.path, candidates: visibleNames, at: expression.position)
        }
        return value
    }

    private func evaluateAttribute(_ baseExpression: Expression, _ name: String, _ expression: Expression)
        throws(TemplateFailure) -> TemplateValue
    {
        let base = try evaluate(baseExpression)
        return try Self.member(of: base, named: name, base: baseExpression, at: expression.position)
    }

    private func evaluateSubscript(
        _ baseExpression: Expression, _ indexExpression: Expression, _ expression: Expression
    )
        throws(TemplateFailure) -> TemplateValue
    {
        let base = try evaluate(baseExpression)
        let index = try evaluate(indexExpression)
        return try Self.element(of: base, at: index, base: baseExpression, expression: expression)
    }

    private func evaluateList(_ items: [Expression]) throws(TemplateFailure) -> TemplateValue {
        var values: [TemplateValue] = []
        for item in items { values.append(try evaluate(item)) }
        return .list(values)
    }

    private func evaluateMap(_ entries: [(key: Expression, value: Expression)]) throws(TemplateFailure) -> TemplateValue
    {
        var map = OrderedMap()
        for entry in entries {
            let key = try evaluate(entry.key)
            map[key.outputText] = try evaluate(entry.value)
        }
        return .map(map)
    }

    private func evaluateUnary(_ op: String, _ operand: Expression, _ expression: Expression) throws(TemplateFailure)
        -> TemplateValue
    {
        let value = try evaluate(operand)
        return try unary(op, value, operand: operand, at: expression.position)
    }

    private func evaluateTernary(_ condition: Expression, _ whenTrue: Expression, _ whenFalse: Expression)
        throws(TemplateFailure) -> TemplateValue
    {
        try evaluate(condition).isTruthy ? try evaluate(whenTrue) : try evaluate(whenFalse)
    }

    private func evaluateFilter(
        _ inputExpression: Expression, _ name: String, _ arguments: [Expression.Argument], _ expression: Expression
    ) throws(TemplateFailure) -> TemplateValue {
        try step(at: expression.position)
        let input: TemplateValue
        if name == "default" {
            input = try lenient(inputExpression) ?? .null
        } else {
            input = try evaluate(inputExpression)
        }
        let args = try evaluateArguments(arguments, for: "filter '\(name)'", at: expression.position)
        return try applyFilter(name, to: input, args, inputExpression: inputExpression)
    }

    private func evaluateTest(
        _ input: Expression, _ name: String, _ arguments: [Expression.Argument], _ negated: Bool,
        _ expression: Expression
    ) throws(TemplateFailure) -> TemplateValue {
        let result = try applyTest(name, input, arguments, at: expression.position)
        return .bool(negated ? !result : result)
    }

    private func evaluateCall(_ name: String, _ arguments: [Expression.Argument], _ expression: Expression)
        throws(TemplateFailure) -> TemplateValue
    {
        try step(at: expression.position)
        let args = try evaluateArguments(arguments, for: "function '\(name)'", at: expression.position)
        return try callFunction(name, args)
    }

    /// Evaluates an access path leniently: nil when a variable, attribute, key or index along it is undefined
    /// (or when it reads through null). Used by `is defined`, `??` and `default`.
    func lenient(_ expression: Expression) throws(TemplateFailure) -> TemplateValue? {
        try enterNesting(at: expression.position)
        defer { leaveNesting() }
        switch expression.kind {
        case .variable(let name):
            return variable(name)
        case .attribute(let baseExpression, let name):
            guard let base = try lenient(baseExpression) else { return nil }
            if case .map(let map) = base { return map[name] }
            return nil
        case .subscripted(let baseExpression, let indexExpression):
            guard let base = try lenient(baseExpression) else { return nil }
            switch (base, try evaluate(indexExpression)) {
            case (.map(let map), let key): return map[key.outputText]
            case (.list(let list), .int(let index)): return list.indices.contains(index) ? list[index] : nil
            default: return nil
            }
        default:
            return try evaluate(expression)
        }
    }

    /// `undefined variable 'path'`, with the closest defined name when one looks like a typo, or else how to
    /// tolerate a missing value.
    func undefined(
        _ path: String, name: String? = nil, candidates: [String], prefix: String = "", at position: TemplatePosition
    ) -> TemplateFailure {
        Self.undefined(path, name: name, candidates: candidates, prefix: prefix, at: position)
    }

    /// `undefined variable 'path'`, followed by `reason` when one is known, else by the closest defined name when
    /// one looks like a typo, else by how to tolerate a missing value.
    static func undefined(
        _ path: String, name: String? = nil, candidates: [String], prefix: String = "", reason: String? = nil,
        at position: TemplatePosition
    ) -> TemplateFailure {
        let name = name ?? path
        var message = "undefined variable '\(path)'"
        if let reason {
            message += " (\(reason))"
        } else if let suggestion = EditDistance.closest(to: name, among: candidates) {
            message += " (did you mean '\(prefix)\(suggestion)'?)"
        } else {
            message += " (if it may be missing, use '?? fallback' or '| default(fallback)')"
        }
        return TemplateFailure(.undefinedVariable, at: position, message)
    }

    static func member(
        of base: TemplateValue, named name: String, base baseExpression: Expression, at position: TemplatePosition
    )
        throws(TemplateFailure) -> TemplateValue
    {
        switch base {
        case .map(let map):
            guard let value = map[name] else {
                throw undefined(
                    "\(baseExpression.path).\(name)", name: name, candidates: map.keys,
                    prefix: "\(baseExpression.path).", at: position)
            }
            return value
        case .null:
            throw TemplateFailure(
                .undefinedVariable, at: position, "cannot read '\(name)' of '\(baseExpression.path)': it is null")
        default:
            throw TemplateFailure(
                .type, at: position,
                "cannot read attribute '\(name)' of '\(baseExpression.path)': it is \(base.typeDescription), not a map")
        }
    }

    static func element(
        of base: TemplateValue, at index: TemplateValue, base baseExpression: Expression, expression: Expression
    )
        throws(TemplateFailure) -> TemplateValue
    {
        switch (base, index) {
        case (.map(let map), .string), (.map(let map), .int):
            guard let value = map[index.outputText] else {
                throw undefined(
                    expression.path, name: index.outputText, candidates: map.keys, prefix: "\(baseExpression.path).",
                    at: expression.position)
            }
            return value
        case (.list(let list), .int(let i)):
            guard list.indices.contains(i) else {
                throw TemplateFailure(
                    .undefinedVariable, at: expression.position,
                    "index \(i) is out of range for '\(baseExpression.path)' (\(list.count) item\(list.count == 1 ? "" : "s"))"
                )
            }
            return list[i]
        case (.null, _):
            throw TemplateFailure(
                .undefinedVariable, at: expression.position,
                "cannot index '\(baseExpression.path)' with [\(index.outputText)]: it is null")
        default:
            throw TemplateFailure(
                .type, at: expression.position,
                "cannot index '\(baseExpression.path)' (\(base.typeDescription)) with \(index.typeDescription)")
        }
    }

    private func evaluateArguments(
        _ arguments: [Expression.Argument], for callee: String, at position: TemplatePosition
    )
        throws(TemplateFailure) -> Arguments
    {
        var positional: [TemplateValue] = []
        var named: [String: TemplateValue] = [:]
        for argument in arguments {
            let value = try evaluate(argument.value)
            if let name = argument.name {
                named[name] = value
            } else {
                positional.append(value)
            }
        }
        return Arguments(callee: callee, position: position, positional: positional, named: named)
    }
}
