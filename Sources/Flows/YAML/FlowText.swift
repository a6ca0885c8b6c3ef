/// The text of a flow file, kept to place a position inside a value: where the character at offset N of a
/// template is written, whether the value was a plain scalar over several lines, a quoted scalar with escapes,
/// or a `|`/`>` block.
public struct FlowText: Sendable {
    let source: SourceText

    /// Reads `text` as the parser does (a byte-order mark is not part of it).
    public init(_ text: String) {
        source = SourceText(text.hasPrefix("\u{FEFF}") ? String(text.unicodeScalars.dropFirst()) : text)
    }

    /// The line and column of every Unicode scalar of `located.value`, then of the place just after it; nil when
    /// the value is not written as such at its location (a default, or a file built from a JSON string).
    public func positions(of located: Located<String>) -> [(line: Int, column: Int)]? {
        guard !located.isDefault,
            let start = source.index(line: located.location.line, column: located.location.column)
        else { return nil }
        let value = Array(located.value.unicodeScalars)
        guard let indices = ScalarAligner(s: source.scalars).align(value, start: start) else { return nil }
        var positions = indices.map(position(of:))
        let end = positions.last.map { (line: $0.line, column: $0.column + 1) } ?? position(of: start)
        positions.append(end)
        return positions
    }

    /// The 1-based line and column of the character at `index`.
    private func position(of index: Int) -> (line: Int, column: Int) {
        var low = 0
        var high = source.lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if source.lineStarts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return (low + 1, index - source.lineStarts[low] + 1)
    }
}
