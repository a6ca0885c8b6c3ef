/// A position in a flow file: where a template scalar starts, or where an error was found.
///
/// Template errors report the offending token in file coordinates. For a plain one-line scalar the token's column is
/// `column + offset` on the same line. For a multi-line (block) scalar the line is `line + newlines before the token`
/// and, on those later lines, the column is `blockIndent + column within the template line`. That is exact when the
/// caller passes the position of the block's first content character and its indentation; it is an approximation for
/// quoted scalars that were folded or unescaped by the YAML parser (escapes shift columns). With `positions`, every
/// position is exact, whatever the scalar's style.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The flow file, as the user named it (for example `flows/etl.yaml`).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int
    /// For block scalars: how many columns the content lines are indented in the file.
    public var blockIndent: Int
    /// Where each character of the template is in the file, when the caller knows it; it wins over `blockIndent`.
    public var positions: TemplatePositions?

    /// A location at `file:line:column`, with `blockIndent` for block scalars (0 otherwise), or the exact
    /// `positions` of the template's characters.
    public init(file: String, line: Int, column: Int, blockIndent: Int = 0, positions: TemplatePositions? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.blockIndent = blockIndent
        self.positions = positions
    }

    /// A location for templates that do not come from a file (tests, command-line values).
    public static func inline(_ name: String = "<template>") -> SourceLocation {
        SourceLocation(file: name, line: 1, column: 1)
    }

    /// `file:line:column`.
    public var description: String { "\(file):\(line):\(column)" }

    /// The file position of a template position (0-based line within the template, 1-based column).
    func advanced(by position: TemplatePosition) -> SourceLocation {
        if let place = positions?.place(of: position) {
            return SourceLocation(file: file, line: place.line, column: place.column)
        }
        if position.line == 0 {
            return SourceLocation(
                file: file, line: line, column: column + position.column - 1, blockIndent: blockIndent)
        }
        return SourceLocation(
            file: file, line: line + position.line, column: blockIndent + position.column, blockIndent: blockIndent)
    }
}

/// A position inside a template's text: 0-based line, 1-based column counted in Unicode scalars.
struct TemplatePosition: Sendable, Hashable {
    var line: Int
    var column: Int

    static let start = TemplatePosition(line: 0, column: 1)
}
