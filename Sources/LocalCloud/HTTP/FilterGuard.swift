import Foundation

/// Refuses a list filter before it reaches the (recursive) filter parser when it is too long or nests too deep:
/// every `(` and every `NOT` or `-` operator is a level of recursion, and a few thousand of them would overflow
/// the stack and end the emulator.
enum FilterGuard {
    /// Longest filter accepted, in characters (Cloud Logging's own limit).
    static let maxLength = 20_000
    /// Most parentheses and `NOT`/`-` operators in one filter.
    static let maxNesting = 100

    /// A 400 naming `field` when `text` is too long or has more than `maxNesting` levels.
    static func check(_ text: String, field: String = "filter") throws(APIError) {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count <= maxLength else {
            throw APIError.invalidArgument("Field '\(field)' is longer than \(maxLength) characters")
        }
        // Quotes are not trusted to hide anything: the parser and this count could disagree on where a quoted
        // string ends (`a=x" (((…`), so every `(` and operator counts, inside quotes too. A real filter is far
        // below the bound either way.
        var levels = 0
        for (index, scalar) in scalars.enumerated() {
            // `-` and `NOT` are operators at the start of a term, also right after another `-` (`--a=1`).
            let startsToken =
                index == 0 || scalars[index - 1].properties.isWhitespace || scalars[index - 1] == "("
                || scalars[index - 1] == "-" || scalars[index - 1] == "\""
            switch scalar {
            case "(": levels += 1
            case "-" where startsToken: levels += 1
            case "N" where startsToken && isWord("NOT", in: scalars, at: index): levels += 1
            default: break
            }
        }
        guard levels <= maxNesting else {
            throw APIError.invalidArgument(
                "Invalid value at '\(field)': it has \(levels) parentheses and NOT/- operators; LocalCloud's filter "
                    + "parser takes at most \(maxNesting) (simplify the filter)")
        }
    }

    private static func isWord(_ word: String, in scalars: [Unicode.Scalar], at index: Int) -> Bool {
        let letters = Array(word.unicodeScalars)
        guard index + letters.count <= scalars.count, Array(scalars[index..<(index + letters.count)]) == letters else {
            return false
        }
        let after = index + letters.count
        return after == scalars.count || scalars[after].properties.isWhitespace || scalars[after] == "("
    }
}
