import Foundation

/// The AIP-160 / Logging query subset that Batch users and Google's clients write:
/// `field OP value` comparisons (`=`, `!=`, `<`, `<=`, `>`, `>=`, `:`), `field=("a" OR "b")`,
/// `AND`, `OR`, `NOT`, juxtaposition as AND, and parentheses.
indirect enum FilterExpression: Sendable, Equatable {
    case and([FilterExpression])
    case or([FilterExpression])
    case not(FilterExpression)
    /// A comparison; several values mean "any of them" (`logName=("a" OR "b")`).
    case compare(field: String, op: Operator, values: [String])

    /// Comparison operators.
    enum Operator: String, Sendable {
        case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case has = ":"
    }

    /// Parses a filter; throws a message naming the position when the text is not one.
    static func parse(_ text: String) throws(FilterParseError) -> FilterExpression? {
        var parser = Parser(chars: Array(text.unicodeScalars))
        parser.skipSpace()
        if parser.atEnd { return nil }
        let expression = try parser.parseOr()
        parser.skipSpace()
        guard parser.atEnd else { throw parser.error("unexpected text") }
        return expression
    }

    /// Evaluates the expression; `compare` decides a single comparison.
    func matches(_ compare: (String, Operator, String) -> Bool) -> Bool {
        switch self {
        case .and(let parts): return parts.allSatisfy { $0.matches(compare) }
        case .or(let parts): return parts.contains { $0.matches(compare) }
        case .not(let inner): return !inner.matches(compare)
        case .compare(let field, let op, let values):
            if op == .notEqual { return values.allSatisfy { compare(field, op, $0) } }
            return values.contains { compare(field, op, $0) }
        }
    }
}

/// A filter that could not be parsed, with the character offset.
struct FilterParseError: Error, CustomStringConvertible {
    var message: String
    var offset: Int
    var description: String { "\(message) at character \(offset + 1)" }
}

private struct Parser {
    let chars: [Unicode.Scalar]
    var index = 0

    var atEnd: Bool { index >= chars.count }

    func error(_ message: String) -> FilterParseError { FilterParseError(message: message, offset: index) }

    mutating func skipSpace() {
        while index < chars.count, chars[index].properties.isWhitespace { index += 1 }
    }

    func peekWord(_ word: String) -> Bool {
        let scalars = Array(word.unicodeScalars)
        guard index + scalars.count <= chars.count, Array(chars[index..<(index + scalars.count)]) == scalars else {
            return false
        }
        let after = index + scalars.count
        return after == chars.count || chars[after].properties.isWhitespace || chars[after] == "("
    }

    mutating func parseOr() throws(FilterParseError) -> FilterExpression {
        var parts = [try parseAnd()]
        while true {
            skipSpace()
            if peekWord("OR") {
                index += 2
                parts.append(try parseAnd())
            } else {
                break
            }
        }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    mutating func parseAnd() throws(FilterParseError) -> FilterExpression {
        var parts = [try parseUnary()]
        while true {
            skipSpace()
            if atEnd || chars[index] == ")" || peekWord("OR") { break }
            if peekWord("AND") { index += 3 }
            parts.append(try parseUnary())
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    mutating func parseUnary() throws(FilterParseError) -> FilterExpression {
        skipSpace()
        if peekWord("NOT") {
            index += 3
            return .not(try parseUnary())
        }
        if !atEnd, chars[index] == "-" {
            index += 1
            return .not(try parseUnary())
        }
        if !atEnd, chars[index] == "(" {
            index += 1
            let inner = try parseOr()
            skipSpace()
            guard !atEnd, chars[index] == ")" else { throw error("missing ')'") }
            index += 1
            return inner
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws(FilterParseError) -> FilterExpression {
        skipSpace()
        let start = index
        while index < chars.count {
            let c = chars[index]
            if c.properties.isWhitespace || "=!<>:()\"".unicodeScalars.contains(c) { break }
            index += 1
        }
        guard index > start else { throw error("expected a field name") }
        let field = String(String.UnicodeScalarView(chars[start..<index]))
        skipSpace()
        guard let op = parseOperator() else {
            throw error("expected an operator (=, !=, <, <=, >, >=, :) after '\(field)'")
        }
        skipSpace()
        if !atEnd, chars[index] == "(" {
            index += 1
            var values = [try parseValue()]
            while true {
                skipSpace()
                if !atEnd, chars[index] == ")" {
                    index += 1
                    break
                }
                if peekWord("OR") {
                    index += 2
                    values.append(try parseValue())
                } else {
                    throw error("expected OR or ')' in the value list of '\(field)'")
                }
            }
            return .compare(field: field, op: op, values: values)
        }
        return .compare(field: field, op: op, values: [try parseValue()])
    }

    mutating func parseOperator() -> FilterExpression.Operator? {
        guard !atEnd else { return nil }
        let c = chars[index]
        let next: Unicode.Scalar? = index + 1 < chars.count ? chars[index + 1] : nil
        switch c {
        case "=":
            index += 1
            return .equal
        case ":":
            index += 1
            return .has
        case "!" where next == "=":
            index += 2
            return .notEqual
        case "<":
            if next == "=" {
                index += 2
                return .lessOrEqual
            }
            index += 1
            return .less
        case ">":
            if next == "=" {
                index += 2
                return .greaterOrEqual
            }
            index += 1
            return .greater
        default: return nil
        }
    }

    mutating func parseValue() throws(FilterParseError) -> String {
        skipSpace()
        guard !atEnd else { throw error("expected a value") }
        if chars[index] == "\"" {
            index += 1
            var value = String.UnicodeScalarView()
            while true {
                guard !atEnd else { throw error("unterminated string") }
                let c = chars[index]
                index += 1
                if c == "\"" { break }
                if c == "\\", !atEnd {
                    value.append(chars[index])
                    index += 1
                } else {
                    value.append(c)
                }
            }
            return String(value)
        }
        let start = index
        while index < chars.count, !chars[index].properties.isWhitespace, chars[index] != ")" { index += 1 }
        guard index > start else { throw error("expected a value") }
        return String(String.UnicodeScalarView(chars[start..<index]))
    }
}
