/// A linear pre-pass over the raw text, run before Yams sees it.
///
/// Yams composes recursively and hashes mapping keys, so two inputs could crash or hang it: nesting
/// thousands of levels deep (a stack overflow), and an alias used as a mapping key (hashing a
/// "billion laughs" key visits every expanded node). This scanner estimates the nesting depth from
/// indentation and flow brackets, skipping quoted strings, comments and block scalars, and refuses
/// aliases in key position. It over-estimates rather than under-estimates; the exact depth limit is
/// enforced again on the composed tree.
struct YAMLSafetyScanner {
    let file: String
    /// Depth at which the estimate is refused (twice the real limit: the estimate counts a block
    /// mapping whose value is a same-indented sequence as one level).
    let depthThreshold: Int
    /// The limit named in the message.
    let reportedDepthLimit: Int

    private enum Stop: Error { case found(FlowDiagnostic) }

    func scan(_ source: String) -> FlowDiagnostic? {
        do {
            try run(Array(source.unicodeScalars))
            return nil
        } catch Stop.found(let diagnostic) {
            return diagnostic
        } catch {
            return nil
        }
    }

    private static func isBreak(_ c: Unicode.Scalar) -> Bool {
        c == "\n" || c == "\r" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}"
    }

    private static func isAnchorCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_"
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private func run(_ s: [Unicode.Scalar]) throws {
        let n = s.count
        var i = 0
        var line = 1
        var column = 1
        if n > 0, s[0] == "\u{FEFF}" { i = 1 }

        var atLineStart = true
        var flowDepth = 0
        var flowHasAlias: [Bool] = []
        var blockStack: [Int] = []
        var quote: Unicode.Scalar?
        var blockScalarParent: Int?
        var pendingBlockScalar = false
        var effectiveIndent = 0
        var tokenStart = true
        var inComment = false
        var previousIsSpace = true
        var explicitKey: SourceLocation?
        var alias: SourceLocation?

        func here() -> SourceLocation { SourceLocation(file: file, line: line, column: column) }
        func advance(_ count: Int = 1) {
            i += count
            column += count
        }
        // A flow collection that is itself the node of a block level (`[a]` alone on a line, `- [a]`)
        // is that level, not one more.
        var levelAwaitsNode = false
        var flowOffset = 0
        var firstTooDeep: SourceLocation?
        func checkDepth() throws {
            let depth = blockStack.count + flowDepth - flowOffset
            if depth > reportedDepthLimit, firstTooDeep == nil { firstTooDeep = here() }
            if depth > depthThreshold {
                throw Stop.found(
                    FlowDiagnostic(
                        "nesting deeper than \(reportedDepthLimit) levels: a flow never needs such deep structures; "
                            + "flatten it", at: firstTooDeep ?? here()))
            }
        }
        func aliasAsKey(_ location: SourceLocation) -> Stop {
            Stop.found(
                FlowDiagnostic(
                    "an alias ('*') cannot be used in a mapping key: write the key as a plain string",
                    at: location))
        }
        func nextNonSpaceIsColon(from start: Int) -> Bool {
            var k = start
            while k < n, s[k] == " " || s[k] == "\t" { k += 1 }
            return k < n && s[k] == ":"
        }
        // Whether the text after an alias could make it (part of) a mapping key: libyaml may still
        // compose the key before reporting an error, and Yams then hashes the whole expansion.
        func aliasMayBeKey(from start: Int, inFlow: Bool) -> Bool {
            var k = start
            if inFlow {
                while k < n {
                    let c = s[k]
                    if c == ":" { return true }
                    if c == "," || c == "[" || c == "]" || c == "{" || c == "}" { return false }
                    k += 1
                }
                return false
            }
            var previousSpace = false
            while k < n, !Self.isBreak(s[k]) {
                let c = s[k]
                if c == "#", previousSpace { return false }
                if c == ":", k + 1 >= n || s[k + 1] == " " || s[k + 1] == "\t" || Self.isBreak(s[k + 1]) {
                    return true
                }
                previousSpace = c == " " || c == "\t"
                k += 1
            }
            return false
        }
        func followedBySpace(_ k: Int) -> Bool {
            k + 1 >= n || s[k + 1] == " " || s[k + 1] == "\t" || Self.isBreak(s[k + 1])
        }

        while i < n {
            if atLineStart {
                atLineStart = false
                var j = i
                while j < n, s[j] == " " { j += 1 }
                let indent = j - i
                let whitespaceOnly = j == n || Self.isBreak(s[j]) || (s[j] == "\t" && restIsBlank(s, from: j))
                if let parent = blockScalarParent {
                    if (whitespaceOnly || indent > parent) && !isDocumentMarker(s, at: i) {
                        skipToBreak(s, &i, &column)
                        continue
                    }
                    blockScalarParent = nil
                }
                previousIsSpace = true
                if quote != nil {
                    advance(indent)
                } else if flowDepth == 0 {
                    advance(indent)
                    if whitespaceOnly || s[i] == "#" {
                        skipToBreak(s, &i, &column)
                        continue
                    }
                    if indent == 0, i + 2 < n,
                        (s[i] == "-" && s[i + 1] == "-" && s[i + 2] == "-")
                            || (s[i] == "." && s[i + 1] == "." && s[i + 2] == "."), followedBySpace(i + 2)
                    {
                        blockStack.removeAll()
                        advance(3)
                        tokenStart = true
                        effectiveIndent = -1
                        continue
                    }
                    while let last = blockStack.last, last >= indent { blockStack.removeLast() }
                    blockStack.append(indent)
                    levelAwaitsNode = true
                    effectiveIndent = indent
                    while i < n, s[i] == "-" || s[i] == "?" || s[i] == ":", followedBySpace(i) {
                        if s[i] == "?" { explicitKey = explicitKey ?? here() }
                        advance()
                        while i < n, s[i] == " " { advance() }
                        effectiveIndent = column - 1
                        blockStack.append(effectiveIndent)
                        try checkDepth()
                    }
                    tokenStart = true
                } else {
                    advance(indent)
                    tokenStart = true
                }
                try checkDepth()
                continue
            }

            let c = s[i]
            if Self.isBreak(c) {
                i += (c == "\r" && i + 1 < n && s[i + 1] == "\n") ? 2 : 1
                line += 1
                column = 1
                atLineStart = true
                inComment = false
                if pendingBlockScalar {
                    pendingBlockScalar = false
                    blockScalarParent = effectiveIndent
                }
                continue
            }
            if inComment {
                advance()
                continue
            }
            if let q = quote {
                if q == "\"" {
                    if c == "\\" {
                        advance(i + 1 < n && !Self.isBreak(s[i + 1]) ? 2 : 1)
                        continue
                    }
                    if c == "\"" {
                        quote = nil
                        tokenStart = false
                    }
                } else if c == "'" {
                    if i + 1 < n, s[i + 1] == "'" {
                        advance(2)
                        continue
                    }
                    quote = nil
                    tokenStart = false
                }
                advance()
                continue
            }
            if c == "#", previousIsSpace {
                inComment = true
                advance()
                continue
            }
            if c == " " || c == "\t" {
                previousIsSpace = true
                advance()
                continue
            }
            previousIsSpace = false
            let inFlow = flowDepth > 0
            if c == "[" || c == "{", inFlow || tokenStart {
                if !inFlow { flowOffset = levelAwaitsNode ? 1 : 0 }
                levelAwaitsNode = false
                flowDepth += 1
                flowHasAlias.append(false)
                try checkDepth()
                tokenStart = true
                advance()
                continue
            }
            if inFlow, c == "]" || c == "}" {
                flowDepth -= 1
                if flowDepth == 0 { flowOffset = 0 }
                let hadAlias = flowHasAlias.removeLast()
                let location = here()
                advance()
                if hadAlias, nextNonSpaceIsColon(from: i) { throw aliasAsKey(location) }
                tokenStart = false
                continue
            }
            if !inFlow, c != "-", c != "?", c != "&", c != "!" { levelAwaitsNode = false }
            if inFlow, c == "," {
                tokenStart = true
                advance()
                continue
            }
            if c == ":", inFlow || followedBySpace(i) {
                tokenStart = true
                advance()
                continue
            }
            if tokenStart {
                switch c {
                case "\"", "'":
                    quote = c
                    advance()
                    continue
                case "*":
                    let location = here()
                    alias = alias ?? location
                    advance()
                    while i < n, Self.isAnchorCharacter(s[i]) { advance() }
                    for index in flowHasAlias.indices { flowHasAlias[index] = true }
                    if aliasMayBeKey(from: i, inFlow: inFlow) { throw aliasAsKey(location) }
                    tokenStart = false
                    continue
                case "&", "!":
                    while i < n, s[i] != " ", s[i] != "\t", !Self.isBreak(s[i]) { advance() }
                    continue
                case "|", ">":
                    if !inFlow {
                        pendingBlockScalar = true
                        inComment = true
                        advance()
                        continue
                    }
                case "?", "-":
                    if followedBySpace(i) {
                        if c == "?" { explicitKey = explicitKey ?? here() }
                        advance()
                        continue
                    }
                default:
                    break
                }
                tokenStart = false
            }
            advance()
        }
        if let explicitKey, alias != nil {
            throw Stop.found(
                FlowDiagnostic(
                    "explicit mapping keys ('? ') cannot be combined with aliases ('*'): write keys as plain strings",
                    at: explicitKey))
        }
    }

    private func isDocumentMarker(_ s: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + 2 < s.count,
            (s[i] == "-" && s[i + 1] == "-" && s[i + 2] == "-")
                || (s[i] == "." && s[i + 1] == "." && s[i + 2] == ".")
        else { return false }
        return i + 3 == s.count || s[i + 3] == " " || s[i + 3] == "\t" || Self.isBreak(s[i + 3])
    }

    private func restIsBlank(_ s: [Unicode.Scalar], from start: Int) -> Bool {
        var k = start
        while k < s.count, s[k] == " " || s[k] == "\t" { k += 1 }
        return k == s.count || Self.isBreak(s[k])
    }

    private func skipToBreak(_ s: [Unicode.Scalar], _ i: inout Int, _ column: inout Int) {
        while i < s.count, !Self.isBreak(s[i]) {
            i += 1
            column += 1
        }
    }
}
