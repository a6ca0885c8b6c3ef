/// Where each character of a template's text is written in its flow file. A YAML scalar's value is not a copy of
/// the file: quoted scalars unescape and fold lines, block scalars drop their indentation, so only such a table
/// places an error exactly.
public struct TemplatePositions: Sendable, Hashable {
    private struct Place: Sendable, Hashable {
        var line: Int
        var column: Int
    }

    /// The offset (in Unicode scalars) at which each line of the template starts, as the lexer counts lines.
    private let lineStarts: [Int]
    /// The file place of each Unicode scalar of the template, then of the place just after it.
    private let places: [Place]

    /// The table for `text`, from one `(line, column)` per Unicode scalar of it plus one for its end; nil when the
    /// counts differ.
    public init?(text: String, places: [(line: Int, column: Int)]) {
        let scalars = Array(text.unicodeScalars)
        guard places.count == scalars.count + 1 else { return nil }
        var starts = [0]
        for (offset, scalar) in scalars.enumerated() where scalar == "\n" { starts.append(offset + 1) }
        lineStarts = starts
        self.places = places.map { Place(line: $0.line, column: $0.column) }
    }

    /// The file place of a template position; past the end of the text, columns continue after its last place.
    func place(of position: TemplatePosition) -> (line: Int, column: Int)? {
        guard position.line >= 0, position.line < lineStarts.count, position.column >= 1 else { return nil }
        let offset = lineStarts[position.line] + position.column - 1
        if offset < places.count { return (places[offset].line, places[offset].column) }
        let last = places[places.count - 1]
        return (last.line, last.column + offset - (places.count - 1))
    }
}
