/// The Pratt expression parser, with the operator precedences of Pebble 3 (`CoreExtension`) and Kestra's
/// `Extension` (`??` at 120).
///
/// | precedence | operators |
/// |---|---|
/// | 10 | `or` |
/// | 15 | `and` |
/// | 20 | `is` / `is not` test, `contains` |
/// | 30 | `==` `!=` `<` `>` `<=` `>=` `equals` `in` `not in` |
/// | 40 | `+` `-` |
/// | 60 | `*` `/` `%` |
/// | 100 | `\|` filter |
/// | 110 | `~` |
/// | 120 | `..` range, `??` null-coalescing, `???` undefined-coalescing |
/// | 500 (prefix) | `not` `-` `+` (so `not a and b` is `(not a) and b`) |
///
/// The ternary `a ? b : c` binds loosest. All binary operators are left-associative.
extension Parser {
    private static let symbolPrecedence: [String: Int] = [
        "==": 30, "!=": 30, "<": 30, ">": 30, "<=": 30, ">=": 30,
        "+": 40, "-": 40, "*": 60, "/": 60, "%": 60,
        "|": 100, "~": 110, "..": 120, "??": 120, "???": 120,
    ]
    private static let wordPrecedence: [String: Int] = [
        "or": 10, "and": 15, "contains": 20, "equals": 30, "in": 30, "is": 20,
    ]

    /// Parses a full expression, including the ternary.
    mutating func parseExpression() throws(TemplateFailure) -> Expression {
        // Every nesting level goes through `parseBinary`, which counts it.
        let condition = try parseBinary(minimum: 0)
        guard try peek().isSymbol("?") else { return condition }
        let question = try advance()
        let whenTrue = try parseExpression()
        _ = try expectSymbol(":", "in the ternary 'condition ? a : b'")
        let whenFalse = try parseExpression()
        return try make(
            .ternary(condition, whenTrue, whenFalse), at: question.position,
            children: [condition, whenTrue, whenFalse])
    }

    private mutating func infixOperator(_ token: Token) -> (String, Int)? {
        switch token.kind {
        case .symbol(let symbol): Self.symbolPrecedence[symbol].map { (symbol, $0) }
        case .name(let name): Self.wordPrecedence[name].map { (name, $0) }
        default: nil
        }
    }

    private mutating func parseBinary(minimum: Int) throws(TemplateFailure) -> Expression {
        let start = try peek().position
        try enterExpression(at: start)
        defer { leaveExpression() }
        var left = try parseUnary()
        while true {
            let token = try peek()
            if token.isName("not"), try peek(1).isName("in"), 30 >= minimum {
                try advance()
                try advance()
                let right = try parseBinary(minimum: 31)
                left = try make(.binary("not in", left, right), at: token.position, children: [left, right])
                continue
            }
            guard let (op, precedence) = infixOperator(token), precedence >= minimum else { return left }
            try advance()
            switch op {
            case "|":
                let (name, nameToken) = try expectName("after '|' (a filter name)")
                let arguments = try parseArgumentsIfPresent()
                left = try make(
                    .filter(left, name: name, arguments: arguments), at: nameToken.position,
                    children: [left] + arguments.map(\.value))
            case "is":
                var negated = false
                if try peek().isName("not") {
                    try advance()
                    negated = true
                }
                let (name, nameToken) = try expectName("after 'is' (a test such as 'defined', 'null' or 'empty')")
                let arguments = try parseArgumentsIfPresent()
                left = try make(
                    .test(left, name: name, arguments: arguments, negated: negated), at: nameToken.position,
                    children: [left] + arguments.map(\.value))
            default:
                let right = try parseBinary(minimum: precedence + 1)
                left = try make(.binary(op, left, right), at: token.position, children: [left, right])
            }
        }
    }

    private mutating func parseUnary() throws(TemplateFailure) -> Expression {
        let token = try peek()
        let operand: Expression
        switch token.kind {
        case .name("not"):
            try advance()
            operand = try parseBinary(minimum: 500)
            return try make(.unary("not", operand), at: token.position, children: [operand])
        case .symbol("-"), .symbol("+"):
            try advance()
            operand = try parseBinary(minimum: 500)
            guard case .symbol(let sign) = token.kind else { return operand }
            return try make(.unary(sign, operand), at: token.position, children: [operand])
        default:
            return try parsePostfix(try parsePrimary())
        }
    }

    private mutating func parsePrimary() throws(TemplateFailure) -> Expression {
        let token = try advance()
        switch token.kind {
        case .int(let value): return try make(.literal(.int(value)), at: token.position, children: [])
        case .double(let value): return try make(.literal(.double(value)), at: token.position, children: [])
        case .string(let value): return try make(.literal(.string(value)), at: token.position, children: [])
        case .name(let name):
            switch name {
            case "true": return try make(.literal(.bool(true)), at: token.position, children: [])
            case "false": return try make(.literal(.bool(false)), at: token.position, children: [])
            case "null", "none": return try make(.literal(.null), at: token.position, children: [])
            default: break
            }
            if try peek().isSymbol("(") {
                let arguments = try parseArgumentsIfPresent()
                return try make(
                    .call(name: name, arguments: arguments), at: token.position, children: arguments.map(\.value))
            }
            return try make(.variable(name), at: token.position, children: [])
        case .symbol("("):
            let inner = try parseExpression()
            _ = try expectSymbol(
                ")", "to close the '(' at line \(token.position.line + 1), column \(token.position.column)")
            return inner
        case .symbol("["):
            var items: [Expression] = []
            if !(try peek().isSymbol("]")) {
                repeat {
                    items.append(try parseExpression())
                } while try consumeComma()
            }
            _ = try expectSymbol("]", "to close the list")
            return try make(.list(items), at: token.position, children: items)
        case .symbol("{"):
            var entries: [(key: Expression, value: Expression)] = []
            if !(try peek().isSymbol("}")) {
                repeat {
                    let key = try parseExpression()
                    _ = try expectSymbol(":", "after a map key")
                    let value = try parseExpression()
                    entries.append((key, value))
                } while try consumeComma()
            }
            _ = try expectSymbol("}", "to close the map")
            return try make(.map(entries), at: token.position, children: entries.flatMap { [$0.key, $0.value] })
        default:
            throw TemplateFailure(.syntax, at: token.position, "expected an expression but found \(token.displayText)")
        }
    }

    private mutating func consumeComma() throws(TemplateFailure) -> Bool {
        guard try peek().isSymbol(",") else { return false }
        try advance()
        return true
    }

    private mutating func parsePostfix(_ base: Expression) throws(TemplateFailure) -> Expression {
        var expression = base
        while true {
            let token = try peek()
            if token.isSymbol(".") {
                try advance()
                let member = try advance()
                switch member.kind {
                case .name(let name):
                    if try peek().isSymbol("(") {
                        throw TemplateFailure(
                            .syntax, at: member.position,
                            "method calls such as '.\(name)(…)' are not supported: use a filter ('| \(name)')")
                    }
                    expression = try make(.attribute(expression, name), at: member.position, children: [expression])
                case .int(let index):
                    let literal = try make(.literal(.int(index)), at: member.position, children: [])
                    expression = try make(
                        .subscripted(expression, literal), at: member.position, children: [expression, literal])
                default:
                    throw TemplateFailure(
                        .syntax, at: member.position,
                        "expected an attribute name after '.' but found \(member.displayText)")
                }
            } else if token.isSymbol("[") {
                try advance()
                let index = try parseExpression()
                _ = try expectSymbol("]", "to close the '['")
                expression = try make(
                    .subscripted(expression, index), at: token.position, children: [expression, index])
            } else {
                return expression
            }
        }
    }

    /// Parses `(a, b, name=c)` if the next token is `(`; otherwise no arguments.
    private mutating func parseArgumentsIfPresent() throws(TemplateFailure) -> [Expression.Argument] {
        guard try peek().isSymbol("(") else { return [] }
        let open = try advance()
        var arguments: [Expression.Argument] = []
        if try peek().isSymbol(")") {
            try advance()
            return arguments
        }
        repeat {
            var name: String?
            if case .name(let word) = try peek().kind, try peek(1).isSymbol("=") {
                name = word
                try advance()
                try advance()
            }
            arguments.append(Expression.Argument(name: name, value: try parseExpression()))
        } while try consumeComma()
        _ = try expectSymbol(")", "to close the argument list opened at column \(open.position.column)")
        return arguments
    }
}
