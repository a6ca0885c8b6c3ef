/// Splits template text into tokens, one at a time, so that a parser error stops the work early (a 10 MB template
/// of brackets is never tokenised in full).
///
/// Handles `{{ }}`, `{% %}`, `{# #}`, the `-` trim markers on either side, and `{% raw %}…{% endraw %}`, whose
/// content is passed through as text.
struct Lexer {
    private enum Mode {
        case text
        case code(closer: Unicode.Scalar, openedAt: TemplatePosition)
    }

    private let s: [Unicode.Scalar]
    private var i = 0
    private var line = 0
    private var lineStart = 0
    private var mode = Mode.text
    private var pending: [Token] = []
    private var trimNextText = false
    private var braceDepth = 0

    init(_ source: String) {
        s = Array(source.unicodeScalars)
    }

    private var position: TemplatePosition { TemplatePosition(line: line, column: i - lineStart + 1) }

    private func at(_ offset: Int) -> Unicode.Scalar? {
        let j = i + offset
        return j < s.count ? s[j] : nil
    }

    private mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where i < s.count {
            if s[i] == "\n" {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
    }

    /// The next token; `.end` once the input is exhausted (and again on every later call).
    mutating func next() throws(TemplateFailure) -> Token {
        while pending.isEmpty {
            switch mode {
            case .text: try lexText()
            case .code(let closer, let openedAt): try lexCode(closer: closer, openedAt: openedAt)
            }
        }
        return pending.removeFirst()
    }

    // MARK: - Text

    private mutating func lexText() throws(TemplateFailure) {
        let start = i
        let startPosition = position
        while i < s.count {
            if s[i] == "{", let next = at(1), next == "{" || next == "%" || next == "#" { break }
            advance()
        }
        var text = s[start..<i]
        if trimNextText {
            trimNextText = false
            while let first = text.first, first.properties.isWhitespace { text.removeFirst() }
        }
        guard i < s.count else {
            emitText(text, at: startPosition)
            pending.append(Token(kind: .end, position: position))
            return
        }
        let opener = s[i + 1]
        let trimsBefore = at(2) == "-"
        if trimsBefore {
            while let last = text.last, last.properties.isWhitespace { text.removeLast() }
        }
        emitText(text, at: startPosition)
        let openPosition = position
        switch opener {
        case "#": try skipComment(openedAt: openPosition)
        case "{":
            advance(trimsBefore ? 3 : 2)
            pending.append(Token(kind: .printOpen, position: openPosition))
            mode = .code(closer: "}", openedAt: openPosition)
            braceDepth = 0
        default:
            if try lexRawBlock(openedAt: openPosition) { return }
            advance(trimsBefore ? 3 : 2)
            pending.append(Token(kind: .blockOpen, position: openPosition))
            mode = .code(closer: "%", openedAt: openPosition)
            braceDepth = 0
        }
    }

    private mutating func emitText(_ text: ArraySlice<Unicode.Scalar>, at position: TemplatePosition) {
        guard !text.isEmpty else { return }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: text)
        pending.append(Token(kind: .text(String(view)), position: position))
    }

    private mutating func skipComment(openedAt: TemplatePosition) throws(TemplateFailure) {
        advance(2)
        while i < s.count {
            if s[i] == "#", at(1) == "}" {
                if i > 0, s[i - 1] == "-" { trimNextText = true }
                advance(2)
                return
            }
            advance()
        }
        throw TemplateFailure(.syntax, at: openedAt, "unclosed comment '{#': add '#}' to close it")
    }

    /// Recognises `{% raw %}` at the cursor and, if found, emits its content as text up to `{% endraw %}`.
    private mutating func lexRawBlock(openedAt: TemplatePosition) throws(TemplateFailure) -> Bool {
        guard let afterOpen = matchTag(named: "raw", from: i) else { return false }
        var contentStart = afterOpen.end
        var contentEnd = contentStart
        var search = contentStart
        var closing: (end: Int, trimBefore: Bool, trimAfter: Bool)?
        while search < s.count {
            if s[search] == "{", search + 1 < s.count, s[search + 1] == "%",
                let match = matchTag(named: "endraw", from: search)
            {
                contentEnd = search
                closing = match
                break
            }
            search += 1
        }
        guard let closing else {
            throw TemplateFailure(.syntax, at: openedAt, "unclosed '{% raw %}': add '{% endraw %}' to close it")
        }
        advance(contentStart - i)
        if afterOpen.trimAfter {
            while contentStart < contentEnd, s[contentStart].properties.isWhitespace {
                contentStart += 1
            }
        }
        if closing.trimBefore {
            while contentEnd > contentStart, s[contentEnd - 1].properties.isWhitespace { contentEnd -= 1 }
        }
        advance(contentStart - i)
        let contentPosition = position
        emitText(s[contentStart..<contentEnd], at: contentPosition)
        advance(closing.end - i)
        trimNextText = closing.trimAfter
        return true
    }

    /// Matches `{%-? name -?%}` starting at `start`; returns the index after `%}` and the trim markers.
    private func matchTag(named name: String, from start: Int) -> (end: Int, trimBefore: Bool, trimAfter: Bool)? {
        var j = start + 2
        var trimBefore = false
        if j < s.count, s[j] == "-" {
            trimBefore = true
            j += 1
        }
        while j < s.count, s[j].properties.isWhitespace { j += 1 }
        for scalar in name.unicodeScalars {
            guard j < s.count, s[j] == scalar else { return nil }
            j += 1
        }
        if j < s.count, Self.isIdentifier(s[j]) { return nil }
        while j < s.count, s[j].properties.isWhitespace { j += 1 }
        var trimAfter = false
        if j < s.count, s[j] == "-" {
            trimAfter = true
            j += 1
        }
        guard j + 1 < s.count, s[j] == "%", s[j + 1] == "}" else { return nil }
        return (j + 2, trimBefore, trimAfter)
    }

    // MARK: - Code

    private mutating func lexCode(closer: Unicode.Scalar, openedAt: TemplatePosition) throws(TemplateFailure) {
        while i < s.count, s[i].properties.isWhitespace { advance() }
        guard i < s.count else {
            let (open, close) = closer == "}" ? ("{{", "}}") : ("{%", "%}")
            throw TemplateFailure(.syntax, at: openedAt, "unclosed '\(open)': add '\(close)' to close it")
        }
        let start = position
        let c = s[i]
        if braceDepth == 0 {
            let trims = c == "-"
            let offset = trims ? 1 : 0
            if at(offset) == closer, at(offset + 1) == "}" {
                advance(offset + 2)
                trimNextText = trims
                mode = .text
                pending.append(Token(kind: closer == "}" ? .printClose : .blockClose, position: start))
                return
            }
        }
        if Self.isIdentifierStart(c) {
            let begin = i
            while i < s.count, Self.isIdentifier(s[i]) { advance() }
            pending.append(Token(kind: .name(Self.string(s[begin..<i])), position: start))
        } else if ("0"..."9").contains(c) {
            try lexNumber(at: start)
        } else if c == "\"" || c == "'" {
            try lexString(quote: c, at: start)
        } else {
            try lexSymbol(at: start)
        }
    }

    private mutating func lexNumber(at start: TemplatePosition) throws(TemplateFailure) {
        let begin = i
        while let c = at(0), ("0"..."9").contains(c) { advance() }
        var isDouble = false
        if at(0) == ".", let next = at(1), ("0"..."9").contains(next) {
            isDouble = true
            advance()
            while let c = at(0), ("0"..."9").contains(c) { advance() }
        }
        let literal = Self.string(s[begin..<i])
        if isDouble, let value = Double(literal) {
            pending.append(Token(kind: .double(value), position: start))
        } else if let value = Int(literal) {
            pending.append(Token(kind: .int(value), position: start))
        } else {
            throw TemplateFailure(.syntax, at: start, "number \(literal.prefix(40)) is too large")
        }
    }

    private mutating func lexString(quote: Unicode.Scalar, at start: TemplatePosition) throws(TemplateFailure) {
        advance()
        var value = String.UnicodeScalarView()
        while i < s.count {
            let c = s[i]
            if c == quote {
                advance()
                pending.append(Token(kind: .string(String(value)), position: start))
                return
            }
            if c == "\\", let escaped = at(1) {
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                default: value.append(escaped)
                }
                advance(2)
                continue
            }
            value.append(c)
            advance()
        }
        throw TemplateFailure(.syntax, at: start, "unterminated string: add the closing \(quote)")
    }

    private static let twoCharacterSymbols: Set<String> = ["??", "==", "!=", "<=", ">=", ".."]
    private static let oneCharacterSymbols: Set<Unicode.Scalar> = [
        "(", ")", "[", "]", "{", "}", ",", ":", ".", "|", "?", "+", "-", "*", "/", "%", "~", "<", ">", "=",
    ]

    private mutating func lexSymbol(at start: TemplatePosition) throws(TemplateFailure) {
        let c = s[i]
        if c == "?", at(1) == "?", at(2) == "?" {
            advance(3)
            pending.append(Token(kind: .symbol("???"), position: start))
            return
        }
        if let next = at(1) {
            var pair = String.UnicodeScalarView()
            pair.append(c)
            pair.append(next)
            let text = String(pair)
            if Self.twoCharacterSymbols.contains(text) {
                advance(2)
                pending.append(Token(kind: .symbol(text), position: start))
                return
            }
        }
        guard Self.oneCharacterSymbols.contains(c) else {
            let shown =
                c.value < 0x20 || c.value == 0x7F || c.properties.generalCategory == .unassigned
                ? "U+" + String(c.value, radix: 16, uppercase: true) : "'\(c)'"
            throw TemplateFailure(.syntax, at: start, "unexpected character \(shown) in an expression")
        }
        if c == "{" { braceDepth += 1 }
        if c == "}", braceDepth > 0 { braceDepth -= 1 }
        advance()
        pending.append(Token(kind: .symbol(String(c)), position: start))
    }

    // MARK: - Helpers

    private static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
    }

    private static func isIdentifier(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || ("0"..."9").contains(c)
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
