/// Finds where each character of a scalar's value is written in the file, by reading the scalar again from its
/// start mark with YAML's rules (folding, escapes, block indentation), guided by the value the parser produced.
///
/// The value decides every ambiguous step, and every character of it must be found, so a result is exact or
/// there is none (nil): a value that is not written at that place (a default, a file built from a JSON string),
/// or a construct this reader does not follow.
struct ScalarAligner {
    let s: [Unicode.Scalar]

    private enum Style {
        case plain, singleQuoted, doubleQuoted
    }

    /// The index in the file of every Unicode scalar of `value`, for the scalar node whose mark is at `start`.
    func align(_ value: [Unicode.Scalar], start: Int) -> [Int]? {
        guard let first = skipProperties(from: start), first < s.count else { return value.isEmpty ? [] : nil }
        switch s[first] {
        case "\"": return alignFlow(value, from: first + 1, style: .doubleQuoted)
        case "'": return alignFlow(value, from: first + 1, style: .singleQuoted)
        case "|", ">": return alignBlock(value, header: first)
        default: return alignFlow(value, from: first, style: .plain)
        }
    }

    // MARK: - Characters

    /// The length of the line break at `i` (`\r\n` is two), or 0.
    private func breakLength(_ i: Int) -> Int {
        guard i < s.count else { return 0 }
        switch s[i] {
        case "\r": return i + 1 < s.count && s[i + 1] == "\n" ? 2 : 1
        case "\n", "\u{85}", "\u{2028}", "\u{2029}": return 1
        default: return 0
        }
    }

    private func isBlank(_ i: Int) -> Bool { i < s.count && (s[i] == " " || s[i] == "\t") }

    /// Past an anchor (`&name`) and a tag (`!tag`) written before the scalar, which its mark includes.
    private func skipProperties(from start: Int) -> Int? {
        var i = start
        while i < s.count, s[i] == "&" || s[i] == "!" {
            while i < s.count, s[i] != " ", s[i] != "\t", breakLength(i) == 0 { i += 1 }
            while isBlank(i) || breakLength(i) > 0 { i += max(1, breakLength(i)) }
        }
        return i
    }

    // MARK: - Plain and quoted scalars

    private func alignFlow(_ value: [Unicode.Scalar], from start: Int, style: Style) -> [Int]? {
        var result: [Int] = []
        result.reserveCapacity(value.count)
        var p = start
        var k = 0
        while k < value.count {
            guard p < s.count else { return nil }
            if style == .doubleQuoted, s[p] == "\\" {
                let next = p + 1
                if breakLength(next) > 0 {
                    // An escaped line break joins the lines: no space, but empty lines after it stay line breaks.
                    p = next + breakLength(next)
                    while isBlank(p) { p += 1 }
                    while breakLength(p) > 0 {
                        guard value[k] == "\n" else { return nil }
                        result.append(p)
                        k += 1
                        p += breakLength(p)
                        while isBlank(p) { p += 1 }
                        if k == value.count { return result }
                    }
                    continue
                }
                guard let (scalar, length) = escape(at: p), scalar == value[k] else { return nil }
                result.append(p)
                k += 1
                p += length
                continue
            }
            if style == .singleQuoted, s[p] == "'" {
                guard p + 1 < s.count, s[p + 1] == "'", value[k] == "'" else { return nil }
                result.append(p)
                k += 1
                p += 2
                continue
            }
            var q = p
            while isBlank(q) { q += 1 }
            if breakLength(q) > 0 {
                // Blanks and a line break fold: into a space, or into one line break per empty line after it.
                let fold = q
                var r = q + breakLength(q)
                var empties: [Int] = []
                while true {
                    var t = r
                    while isBlank(t) { t += 1 }
                    guard breakLength(t) > 0 else {
                        r = t
                        break
                    }
                    empties.append(t)
                    r = t + breakLength(t)
                }
                if empties.isEmpty {
                    guard value[k] == " " else { return nil }
                    result.append(fold)
                    k += 1
                } else {
                    for line in empties {
                        guard k < value.count else { return result }
                        guard value[k] == "\n" else { return nil }
                        result.append(line)
                        k += 1
                    }
                }
                p = r
                continue
            }
            guard s[p] == value[k] else { return nil }
            result.append(p)
            k += 1
            p += 1
        }
        return result
    }

    /// The character a double-quoted escape at `i` stands for, and how many characters it takes.
    private func escape(at i: Int) -> (Unicode.Scalar, Int)? {
        guard i + 1 < s.count else { return nil }
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "0": "\0", "a": "\u{07}", "b": "\u{08}", "t": "\t", "\t": "\t", "n": "\n", "v": "\u{0B}", "f": "\u{0C}",
            "r": "\r", "e": "\u{1B}", " ": " ", "\"": "\"", "/": "/", "\\": "\\", "N": "\u{85}", "_": "\u{A0}",
            "L": "\u{2028}", "P": "\u{2029}",
        ]
        let code = s[i + 1]
        if let scalar = simple[code] { return (scalar, 2) }
        let digits: Int
        switch code {
        case "x": digits = 2
        case "u": digits = 4
        case "U": digits = 8
        default: return nil
        }
        guard i + 2 + digits <= s.count else { return nil }
        var text = ""
        text.unicodeScalars.append(contentsOf: s[(i + 2)..<(i + 2 + digits)])
        guard let number = UInt32(text, radix: 16), let scalar = Unicode.Scalar(number) else { return nil }
        return (scalar, 2 + digits)
    }

    // MARK: - Block scalars

    private func alignBlock(_ value: [Unicode.Scalar], header: Int) -> [Int]? {
        let folded = s[header] == ">"
        var p = header + 1
        var explicit: Int?
        while p < s.count, s[p] == "+" || s[p] == "-" || ("1"..."9").contains(s[p]) {
            if ("1"..."9").contains(s[p]) { explicit = Int(s[p].value - 48) }
            p += 1
        }
        while isBlank(p) { p += 1 }
        if p < s.count, s[p] == "#" {
            while p < s.count, breakLength(p) == 0 { p += 1 }
        }
        guard breakLength(p) > 0 else { return value.isEmpty ? [] : nil }
        let content = p + breakLength(p)

        // The first line with text sets the indentation (at least that of the empty lines before it).
        var emptyIndent = 0
        var firstIndent: Int?
        var line = content
        while line < s.count {
            var n = 0
            while line + n < s.count, s[line + n] == " " { n += 1 }
            if breakLength(line + n) > 0 {
                emptyIndent = max(emptyIndent, n)
                line += n + breakLength(line + n)
                continue
            }
            firstIndent = n
            break
        }
        guard let firstIndent else { return value.isEmpty ? [] : nil }
        if let explicit {
            // The indicator counts from the parent's indentation, which the text alone does not give: try each.
            for indent in stride(from: explicit, through: firstIndent, by: 1) {
                if let result = alignBlockContent(value, from: content, indent: indent, folded: folded) {
                    return result
                }
            }
            return nil
        }
        return alignBlockContent(value, from: content, indent: max(firstIndent, emptyIndent), folded: folded)
    }

    private func alignBlockContent(_ value: [Unicode.Scalar], from content: Int, indent: Int, folded: Bool) -> [Int]? {
        func lineStart(_ at: Int) -> Int {
            var q = at
            var n = 0
            while n < indent, q < s.count, s[q] == " " {
                q += 1
                n += 1
            }
            return q
        }
        var result: [Int] = []
        result.reserveCapacity(value.count)
        var p = lineStart(content)
        var k = 0
        while k < value.count {
            guard p < s.count else { return nil }
            let length = breakLength(p)
            if length > 0 {
                if value[k] == "\n" || (folded && value[k] == " ") {
                    result.append(p)
                    k += 1
                } else if !folded {
                    return nil
                }
                // Folding dropped this line break (it was followed by empty lines).
                p = lineStart(p + length)
                continue
            }
            guard s[p] == value[k] else { return nil }
            result.append(p)
            k += 1
            p += 1
        }
        return result
    }
}
