/// Unary and binary operators, with Pebble's semantics: integer arithmetic stays integral (and reports overflow),
/// `==` compares numbers by value, `~` concatenates printed values.
extension Evaluator {
    func unary(_ op: String, _ value: TemplateValue, operand: Expression, at position: TemplatePosition)
        throws(TemplateFailure) -> TemplateValue
    {
        switch (op, value) {
        case ("not", _): return .bool(!value.isTruthy)
        case ("+", .int), ("+", .double): return value
        case ("-", .int(let int)):
            guard int != Int.min else { throw TemplateFailure(.type, at: position, "integer overflow in '-'") }
            return .int(-int)
        case ("-", .double(let double)): return .double(-double)
        default:
            throw TemplateFailure(
                .type, at: position, "cannot apply '\(op)' to '\(operand.path)': it is \(value.typeDescription)")
        }
    }

    func binary(
        _ op: String, _ leftExpression: Expression, _ rightExpression: Expression, at position: TemplatePosition
    )
        throws(TemplateFailure) -> TemplateValue
    {
        switch op {
        case "or":
            if try evaluate(leftExpression).isTruthy { return .bool(true) }
            return .bool(try evaluate(rightExpression).isTruthy)
        case "and":
            if !(try evaluate(leftExpression).isTruthy) { return .bool(false) }
            return .bool(try evaluate(rightExpression).isTruthy)
        case "??":
            if let left = try lenient(leftExpression), left != .null { return left }
            return try evaluate(rightExpression)
        case "???":
            // Kestra's undefined-coalescing: only an undefined left side falls back; null is kept.
            if let left = try lenient(leftExpression) { return left }
            return try evaluate(rightExpression)
        default:
            break
        }
        let left = try evaluate(leftExpression)
        let right = try evaluate(rightExpression)
        return try applyBinary(op, left, right, at: position)
    }

    /// A binary operator on two evaluated operands; kept out of `binary` so the recursive path has a small frame.
    private func applyBinary(_ op: String, _ left: TemplateValue, _ right: TemplateValue, at position: TemplatePosition)
        throws(TemplateFailure) -> TemplateValue
    {
        switch op {
        case "==", "equals": return .bool(Self.equal(left, right))
        case "!=": return .bool(!Self.equal(left, right))
        case "<", ">", "<=", ">=":
            guard let order = Self.compare(left, right) else {
                throw TemplateFailure(
                    .type, at: position,
                    "cannot compare \(left.typeDescription) with \(right.typeDescription) using '\(op)'")
            }
            switch op {
            case "<": return .bool(order < 0)
            case ">": return .bool(order > 0)
            case "<=": return .bool(order <= 0)
            default: return .bool(order >= 0)
            }
        case "contains":
            return .bool(try contains(left, right, op: op, at: position))
        case "in":
            return .bool(try contains(right, left, op: op, at: position))
        case "not in":
            return .bool(!(try contains(right, left, op: op, at: position)))
        case "~":
            let joined = left.outputText + right.outputText
            if joined.utf8.count > limits.maxOutputBytes {
                throw TemplateFailure(
                    .limit, at: position, "string built by '~' exceeds \(limits.maxOutputBytes) bytes")
            }
            return .string(joined)
        case "..":
            guard case .int(let low) = left, case .int(let high) = right else {
                throw TemplateFailure(.type, at: position, "the range operator '..' needs two integers")
            }
            let (span, overflow) = high.subtractingReportingOverflow(low)
            guard high < low || (!overflow && span < limits.maxRangeLength) else {
                throw TemplateFailure(
                    .limit, at: position, "range \(low)..\(high) has more than \(limits.maxRangeLength) items")
            }
            return .list(high < low ? [] : (low...high).map { .int($0) })
        default:
            return try arithmetic(op, left, right, at: position)
        }
    }

    private func arithmetic(_ op: String, _ left: TemplateValue, _ right: TemplateValue, at position: TemplatePosition)
        throws(TemplateFailure) -> TemplateValue
    {
        if op == "+", case .list(let a) = left, case .list(let b) = right { return .list(a + b) }
        if case .int(let a) = left, case .int(let b) = right {
            let result: (Int, Bool)
            switch op {
            case "+": result = a.addingReportingOverflow(b)
            case "-": result = a.subtractingReportingOverflow(b)
            case "*": result = a.multipliedReportingOverflow(by: b)
            case "/", "%":
                guard b != 0 else { throw TemplateFailure(.type, at: position, "division by zero") }
                result = op == "/" ? a.dividedReportingOverflow(by: b) : a.remainderReportingOverflow(dividingBy: b)
            default: throw TemplateFailure(.syntax, at: position, "unknown operator '\(op)'")
            }
            guard !result.1 else { throw TemplateFailure(.type, at: position, "integer overflow in '\(op)'") }
            return .int(result.0)
        }
        guard let a = left.numericValue, let b = right.numericValue else {
            let hint = op == "+" && (left.isString || right.isString) ? ": use '~' to join strings" : ""
            throw TemplateFailure(
                .type, at: position,
                "cannot apply '\(op)' to \(left.typeDescription) and \(right.typeDescription)\(hint)")
        }
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            guard b != 0 else { throw TemplateFailure(.type, at: position, "division by zero") }
            return .double(a / b)
        case "%":
            guard b != 0 else { throw TemplateFailure(.type, at: position, "division by zero") }
            return .double(a.truncatingRemainder(dividingBy: b))
        default: throw TemplateFailure(.syntax, at: position, "unknown operator '\(op)'")
        }
    }

    /// Whether `container` (a list, map keys, or string) holds `item`.
    private func contains(_ container: TemplateValue, _ item: TemplateValue, op: String, at position: TemplatePosition)
        throws(TemplateFailure) -> Bool
    {
        switch container {
        case .list(let items): return items.contains { Self.equal($0, item) }
        case .map(let map): return map[item.outputText] != nil
        case .string(let string): return string.contains(item.outputText)
        default:
            throw TemplateFailure(
                .type, at: position, "'\(op)' needs a list, map or string, not \(container.typeDescription)")
        }
    }

    /// Equality as Pebble does it: numbers by value (1 == 1.0), everything else structurally.
    static func equal(_ a: TemplateValue, _ b: TemplateValue) -> Bool {
        if let x = a.numericValue, let y = b.numericValue {
            if case .int(let i) = a, case .int(let j) = b { return i == j }
            return x == y
        }
        return a == b
    }

    /// -1, 0 or 1 for two numbers or two strings; nil for anything else.
    static func compare(_ a: TemplateValue, _ b: TemplateValue) -> Int? {
        if case .int(let i) = a, case .int(let j) = b { return i < j ? -1 : i > j ? 1 : 0 }
        if let x = a.numericValue, let y = b.numericValue { return x < y ? -1 : x > y ? 1 : 0 }
        if case .string(let s) = a, case .string(let t) = b { return s < t ? -1 : s > t ? 1 : 0 }
        return nil
    }
}

extension TemplateValue {
    var isString: Bool {
        if case .string = self { return true }
        return false
    }
}
