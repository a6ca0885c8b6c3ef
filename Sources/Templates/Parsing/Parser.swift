/// Parses a token stream into statements: text, `{{ }}` outputs, and the `if`, `for` and `set` tags.
///
/// Nesting (of tags and of expressions) is limited by `TemplateLimits.maxNesting`, so that a hostile template
/// produces an error instead of overflowing the stack.
struct Parser {
    private var lexer: Lexer
    private var lookahead: [Token] = []
    let maxNesting: Int
    private var expressionNesting = 0
    private var blockNesting = 0

    /// Parses a whole template.
    static func parse(_ source: String, maxNesting: Int) throws(TemplateFailure) -> [Node] {
        var parser = Parser(lexer: Lexer(source), maxNesting: maxNesting)
        let (nodes, _) = try parser.parseNodes(until: [], opener: nil)
        return nodes
    }

    private init(lexer: Lexer, maxNesting: Int) {
        self.lexer = lexer
        self.maxNesting = maxNesting
    }

    // MARK: - Token stream

    mutating func peek(_ offset: Int = 0) throws(TemplateFailure) -> Token {
        while lookahead.count <= offset { lookahead.append(try lexer.next()) }
        return lookahead[offset]
    }

    @discardableResult
    mutating func advance() throws(TemplateFailure) -> Token {
        let token = try peek()
        if token.kind != .end { lookahead.removeFirst() }
        return token
    }

    mutating func expectSymbol(_ symbol: String, _ context: String) throws(TemplateFailure) -> Token {
        let token = try peek()
        guard token.isSymbol(symbol) else {
            throw TemplateFailure(
                .syntax, at: token.position, "expected '\(symbol)' \(context) but found \(token.displayText)")
        }
        return try advance()
    }

    mutating func expectName(_ context: String) throws(TemplateFailure) -> (String, Token) {
        let token = try advance()
        guard case .name(let name) = token.kind else {
            throw TemplateFailure(
                .syntax, at: token.position, "expected a name \(context) but found \(token.displayText)")
        }
        return (name, token)
    }

    private mutating func expectBlockClose(_ tag: String) throws(TemplateFailure) {
        let token = try advance()
        guard token.kind == .blockClose else {
            throw TemplateFailure(
                .syntax, at: token.position, "expected '%}' to end the '\(tag)' tag but found \(token.displayText)")
        }
    }

    // MARK: - Statements

    private struct Opener {
        var tag: String
        var closer: String
        var position: TemplatePosition
    }

    /// Parses statements until one of the `until` tags (returned with its position, tag name consumed) or the end.
    private mutating func parseNodes(
        until stops: Set<String>, opener: Opener?
    ) throws(TemplateFailure) -> ([Node], (name: String, position: TemplatePosition)?) {
        var nodes: [Node] = []
        while true {
            let token = try advance()
            switch token.kind {
            case .text(let text):
                nodes.append(.text(text))
            case .printOpen:
                let expression = try parseExpression()
                let close = try advance()
                guard close.kind == .printClose else {
                    throw TemplateFailure(
                        .syntax, at: close.position, "expected '}}' after the expression but found \(close.displayText)"
                    )
                }
                nodes.append(.output(expression))
            case .blockOpen:
                let (name, nameToken) = try expectName("after '{%'")
                if stops.contains(name) { return (nodes, (name, nameToken.position)) }
                nodes.append(try parseTag(name, at: nameToken.position, opener: opener))
            case .end:
                if let opener {
                    throw TemplateFailure(
                        .syntax, at: opener.position,
                        "unclosed '{% \(opener.tag) %}': add '{% \(opener.closer) %}' to close it")
                }
                return (nodes, nil)
            default:
                throw TemplateFailure(.syntax, at: token.position, "unexpected \(token.displayText)")
            }
        }
    }

    private mutating func parseTag(_ name: String, at position: TemplatePosition, opener: Opener?)
        throws(TemplateFailure)
        -> Node
    {
        switch name {
        case "if": return try parseIf(at: position)
        case "for": return try parseFor(at: position)
        case "set":
            let (variable, _) = try expectName("after 'set'")
            _ = try expectSymbol("=", "after '{% set \(variable)'")
            let value = try parseExpression()
            try expectBlockClose("set")
            return .assignment(name: variable, value: value)
        case "elseif", "else", "endif", "endfor", "endraw":
            if let opener, opener.tag == "if", name == "else" || name == "elseif" {
                throw TemplateFailure(
                    .syntax, at: position,
                    "'{% \(name) %}' after '{% else %}': the '{% else %}' must come last in an 'if'")
            }
            if let opener, opener.tag == "for", name == "else" {
                throw TemplateFailure(.syntax, at: position, "a '{% for %}' has at most one '{% else %}'")
            }
            let owner = name == "endfor" ? "for" : name == "endraw" ? "raw" : "if"
            throw TemplateFailure(.syntax, at: position, "'{% \(name) %}' without an open '{% \(owner) %}'")
        default:
            var message = "unknown tag '\(name)'"
            if let suggestion = EditDistance.closest(
                to: name, among: ["if", "elseif", "else", "endif", "for", "endfor", "set", "raw"])
            {
                message += " (did you mean '\(suggestion)'?)"
            }
            throw TemplateFailure(
                .unknownName, at: position,
                message + ": supported tags are if/elseif/else/endif, for/else/endfor, set, raw/endraw")
        }
    }

    private mutating func enterBlock(at position: TemplatePosition) throws(TemplateFailure) {
        blockNesting += 1
        if blockNesting > maxNesting {
            throw TemplateFailure(.limit, at: position, "tags nested deeper than \(maxNesting) levels")
        }
    }

    private mutating func parseIf(at position: TemplatePosition) throws(TemplateFailure) -> Node {
        try enterBlock(at: position)
        defer { blockNesting -= 1 }
        let opener = Opener(tag: "if", closer: "endif", position: position)
        var condition: Expression? = try parseExpression()
        try expectBlockClose("if")
        var branches: [Node.Branch] = []
        while true {
            let stops: Set<String> = condition == nil ? ["endif"] : ["elseif", "else", "endif"]
            let (body, stop) = try parseNodes(until: stops, opener: opener)
            branches.append(Node.Branch(condition: condition, body: body))
            switch stop?.name {
            case "elseif":
                condition = try parseExpression()
                try expectBlockClose("elseif")
            case "else":
                condition = nil
                try expectBlockClose("else")
            default:
                try expectBlockClose("endif")
                return .conditional(branches)
            }
        }
    }

    private mutating func parseFor(at position: TemplatePosition) throws(TemplateFailure) -> Node {
        try enterBlock(at: position)
        defer { blockNesting -= 1 }
        var (variable, _) = try expectName("after 'for'")
        var keyVariable: String?
        if try peek().isSymbol(",") {
            try advance()
            keyVariable = variable
            (variable, _) = try expectName("after ',' in 'for'")
        }
        let inToken = try advance()
        guard inToken.isName("in") else {
            throw TemplateFailure(
                .syntax, at: inToken.position, "expected 'in' in the 'for' tag but found \(inToken.displayText)")
        }
        let iterable = try parseExpression()
        try expectBlockClose("for")
        let opener = Opener(tag: "for", closer: "endfor", position: position)
        let (body, stop) = try parseNodes(until: ["else", "endfor"], opener: opener)
        var emptyBody: [Node] = []
        if stop?.name == "else" {
            try expectBlockClose("else")
            (emptyBody, _) = try parseNodes(until: ["endfor"], opener: opener)
        }
        try expectBlockClose("endfor")
        return .loop(
            variable: variable, keyVariable: keyVariable, iterable: iterable, body: body, emptyBody: emptyBody,
            position: position)
    }

    // MARK: - Nesting guard for expressions

    mutating func enterExpression(at position: TemplatePosition) throws(TemplateFailure) {
        expressionNesting += 1
        if expressionNesting > maxNesting {
            throw TemplateFailure(.limit, at: position, "expression nested deeper than \(maxNesting) levels")
        }
    }

    mutating func leaveExpression() { expressionNesting -= 1 }

    func make(_ kind: Expression.Kind, at position: TemplatePosition, children: [Expression]) throws(TemplateFailure)
        -> Expression
    {
        let depth = 1 + (children.map(\.depth).max() ?? 0)
        if depth > maxNesting {
            throw TemplateFailure(.limit, at: position, "expression nested deeper than \(maxNesting) levels")
        }
        return Expression(kind: kind, position: position, depth: depth)
    }
}
