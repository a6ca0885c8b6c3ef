/// The texts in which a secret value can reach a log line, for `SecretMasker`.
///
/// A job prints a secret as it is, inside JSON text (a `::{"outputs":…}::` line, a logged object), where a `"`,
/// `\`, control character or non-ASCII character appears escaped, and line by line: a log line is one line, so
/// a multi-line value (a PEM key) is never whole inside one.
enum SecretForms {
    /// Lines of a multi-line value shorter than this (after trimming spaces) are not masked on their own: a
    /// line such as `}`, `---` or `ab` occurs in ordinary output all the time, so masking it would garble the
    /// logs while hiding next to nothing of the secret. The whole value, and a value that is one line once its
    /// surrounding blank lines are dropped, is masked at any length.
    static let minimumLineLength = 4

    /// Every form of `value` to mask: the value, its JSON-escaped forms, and the same for each of its lines.
    static func forms(of value: String) -> Set<String> {
        var result: Set<String> = []
        func add(_ text: String) {
            guard !text.isEmpty else { return }
            result.insert(text)
            result.formUnion(jsonEscaped(text))
        }
        add(value)
        let lines = value.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
            .map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }
        if lines.count == 1 {
            // `value\n` (a file read with its final line break): the one line is the secret.
            add(lines[0])
        } else {
            for line in lines where line.utf16.count >= minimumLineLength { add(line) }
        }
        return result
    }

    /// The ways common JSON encoders write `text` inside a string literal (without the quotes), other than
    /// `text` itself: Python's `json.dumps` (ASCII-only by default), JavaScript's `JSON.stringify`, Java's
    /// Jackson (upper-case hex), Foundation's `JSONEncoder` (`\/`), Go's `encoding/json` (`\u003c` for `<>&`).
    static func jsonEscaped(_ text: String) -> Set<String> {
        var result: Set<String> = []
        let special = text.unicodeScalars.contains {
            $0.value < 0x20 || $0.value >= 0x7F || "\"\\/<>&".unicodeScalars.contains($0)
        }
        guard special else { return result }
        for asciiOnly in [false, true] {
            for upperHex in [false, true] {
                for escapeSlash in [false, true] {
                    for escapeHTML in [false, true] {
                        let escaped = escape(
                            text, asciiOnly: asciiOnly, upperHex: upperHex, escapeSlash: escapeSlash,
                            escapeHTML: escapeHTML)
                        if escaped != text { result.insert(escaped) }
                    }
                }
            }
        }
        return result
    }

    private static func escape(_ text: String, asciiOnly: Bool, upperHex: Bool, escapeSlash: Bool, escapeHTML: Bool)
        -> String
    {
        func hex(_ unit: UInt16) -> String {
            let digits = String(unit, radix: 16, uppercase: upperHex)
            return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
        }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/": out += escapeSlash ? "\\/" : "/"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&": out += escapeHTML ? hex(UInt16(scalar.value)) : String(scalar)
            default:
                if scalar.value < 0x20 || (asciiOnly && scalar.value >= 0x7F) {
                    for unit in String(scalar).utf16 { out += hex(unit) }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// The number `value` spells, if it is one (`12345`, `-1.5`, `1e3`), so that a JSON number equal to it is
    /// masked too.
    static func number(_ value: String) -> Double? {
        let trimmed = value.trimmingSpaces()
        guard let first = trimmed.unicodeScalars.first,
            first == "-" || first == "+" || first == "." || ("0"..."9").contains(first),
            let number = Double(trimmed), number.isFinite
        else { return nil }
        return number
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line breaks.
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        return String(String(self).drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
