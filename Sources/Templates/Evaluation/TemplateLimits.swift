/// Bounds that keep a hostile or broken template from exhausting the stack, memory or time.
public struct TemplateLimits: Sendable, Equatable {
    /// Deepest nesting of tags and of expressions (brackets, operators, filters) the parser accepts.
    public var maxNesting: Int
    /// Deepest evaluation recursion: nested expressions, tag bodies and `render()` levels counted together.
    public var maxEvaluationDepth: Int
    /// Most evaluation steps (expressions, statements, loop iterations) one render may take.
    public var maxSteps: Int
    /// Largest rendered text, and largest string an expression may build, in UTF-8 bytes.
    public var maxOutputBytes: Int
    /// Largest list the `..` range operator may build.
    public var maxRangeLength: Int
    /// Deepest chain of `render()` calls inside `render()`.
    public var maxRenderDepth: Int

    /// Limits with the defaults: nesting 256, evaluation depth 400, 1,000,000 steps, 64 MiB of output, ranges of 100,000 items,
    /// `render()` nested 8 deep.
    public init(
        maxNesting: Int = 256, maxEvaluationDepth: Int = 400, maxSteps: Int = 1_000_000, maxOutputBytes: Int = 64 << 20,
        maxRangeLength: Int = 100_000, maxRenderDepth: Int = 8
    ) {
        self.maxNesting = maxNesting
        self.maxEvaluationDepth = maxEvaluationDepth
        self.maxSteps = maxSteps
        self.maxOutputBytes = maxOutputBytes
        self.maxRangeLength = maxRangeLength
        self.maxRenderDepth = maxRenderDepth
    }
}
