/// Line-oriented access to the raw flow text, using libyaml's line breaks (`\n`, `\r\n`, `\r`, NEL,
/// LS, PS), so that line and column numbers agree with Yams' marks.
struct SourceText {
    let scalars: [Unicode.Scalar]
    /// Index in `scalars` of the first character of each line (line 1 is index 0).
    let lineStarts: [Int]

    init(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        var starts = [scalars.first == "\u{FEFF}" ? 1 : 0]
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "\r", i + 1 < scalars.count, scalars[i + 1] == "\n" {
                i += 2
                starts.append(i)
                continue
            }
            i += 1
            if c == "\n" || c == "\r" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}" {
                starts.append(i)
            }
        }
        self.scalars = scalars
        self.lineStarts = starts
    }

    /// The index of a 1-based line and column, if it exists.
    func index(line: Int, column: Int) -> Int? {
        guard line >= 1, line <= lineStarts.count, column >= 1 else { return nil }
        let index = lineStarts[line - 1] + column - 1
        return index <= scalars.count ? index : nil
    }

    /// The rest of the line from a 1-based line and column, without the line break, and at most
    /// `limit` characters (callers only look at the start, and a flow can be one very long line).
    func restOfLine(line: Int, column: Int, limit: Int = 1_000) -> String {
        guard let start = index(line: line, column: column) else { return "" }
        var end = start
        while end < scalars.count, end - start < limit {
            let c = scalars[end]
            if c == "\n" || c == "\r" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}" { break }
            end += 1
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<end])
        return String(view)
    }

    /// The line and column of a character offset (in `Character`s, as Yams reports reader errors).
    static func location(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for (index, character) in text.enumerated() {
            if index >= offset { break }
            if character == "\n" || character == "\r\n" || character == "\r" || character == "\u{85}"
                || character == "\u{2028}" || character == "\u{2029}"
            {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return (line, column)
    }
}
