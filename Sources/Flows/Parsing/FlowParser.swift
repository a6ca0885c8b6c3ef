import Foundation

/// The result of reading one flow file: the model (when the file could be read that far) and every
/// problem found, sorted by position.
public struct FlowParseResult: Sendable {
    /// The flow, or nil when the file is not YAML, not a mapping, or lacks `id` or `namespace`.
    /// It may be present while `diagnostics` contains errors: check `isValid` before running it.
    public var flow: Flow?
    /// Every error and warning, sorted by position.
    public var diagnostics: [FlowDiagnostic]

    /// True when there is a flow and no error (warnings are allowed).
    public var isValid: Bool { flow != nil && !diagnostics.containsErrors }

    /// A result: `diagnostics` are sorted by position (exact repeats kept once).
    public init(flow: Flow?, diagnostics: [FlowDiagnostic]) {
        self.flow = flow
        self.diagnostics = diagnostics.sortedByPosition()
    }
}

/// Reads Kestra flow files into `Flow` models.
public enum FlowParser {
    /// Safety limits; the defaults suit any real flow.
    public struct Limits: Sendable {
        /// The largest file accepted, in bytes.
        public var maxFileBytes: Int
        /// The deepest nesting of mappings and lists.
        public var maxDepth: Int
        /// The most YAML nodes after alias expansion (also capped at 10,000 plus four per character).
        public var maxNodes: Int
        /// How many duplicate keys are reported before giving up.
        public var maxDuplicateKeys: Int

        /// Creates limits.
        public init(
            maxFileBytes: Int = 16 * 1_048_576, maxDepth: Int = 64, maxNodes: Int = 1_000_000,
            maxDuplicateKeys: Int = 16
        ) {
            self.maxFileBytes = maxFileBytes
            self.maxDepth = maxDepth
            self.maxNodes = maxNodes
            self.maxDuplicateKeys = maxDuplicateKeys
        }
    }

    /// Parses and validates flow text. `file` is used in locations only.
    public static func parse(source: String, file: String, limits: Limits = Limits()) -> FlowParseResult {
        let (root, yamlDiagnostics) = YAMLReader(file: file, limits: limits).read(source)
        let context = ParseContext(file: file)
        var flow: Flow?
        if let root {
            flow = FlowBuilder(context: context).build(root)
            if let flow { FlowValidator(context: context).validate(flow) }
        }
        return FlowParseResult(flow: flow, diagnostics: (yamlDiagnostics + context.diagnostics).sortedByPosition())
    }

    /// Parses and validates flow bytes, refusing text that is not UTF-8 with the position of the first bad byte.
    public static func parse(data: Data, file: String, limits: Limits = Limits()) -> FlowParseResult {
        if let text = String(data: data, encoding: .utf8) {
            return parse(source: text, file: file, limits: limits)
        }
        let (offset, line, column) = firstInvalidUTF8(in: data)
        let byte = offset < data.count ? String(format: "0x%02X", data[data.startIndex + offset]) : "end of file"
        let diagnostic = FlowDiagnostic(
            "file is not valid UTF-8 (byte \(byte) at offset \(offset)): save the flow as UTF-8 text",
            at: SourceLocation(file: file, line: line, column: column))
        return FlowParseResult(flow: nil, diagnostics: [diagnostic])
    }

    /// Reads and parses a file from disk; an unreadable file is reported as a diagnostic at 1:1.
    public static func parse(contentsOf url: URL, file: String? = nil, limits: Limits = Limits()) -> FlowParseResult {
        let name = file ?? url.path
        do {
            let data = try Data(contentsOf: url)
            return parse(data: data, file: name, limits: limits)
        } catch {
            let diagnostic = FlowDiagnostic(
                "cannot read the file: \(error.localizedDescription)",
                at: SourceLocation(file: name, line: 1, column: 1))
            return FlowParseResult(flow: nil, diagnostics: [diagnostic])
        }
    }

    /// The offset, line and column of the first byte that does not start or continue valid UTF-8.
    static func firstInvalidUTF8(in data: Data) -> (offset: Int, line: Int, column: Int) {
        let bytes = [UInt8](data)
        var i = 0
        var line = 1
        var column = 1
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            var minimum: UInt32 = 0
            var scalar: UInt32
            switch b {
            case 0x00...0x7F:
                length = 1
                scalar = UInt32(b)
            case 0xC2...0xDF:
                length = 2
                scalar = UInt32(b & 0x1F)
                minimum = 0x80
            case 0xE0...0xEF:
                length = 3
                scalar = UInt32(b & 0x0F)
                minimum = 0x800
            case 0xF0...0xF4:
                length = 4
                scalar = UInt32(b & 0x07)
                minimum = 0x10000
            default: return (i, line, column)
            }
            guard i + length <= bytes.count else { return (i, line, column) }
            for k in 1..<length {
                let continuation = bytes[i + k]
                guard continuation & 0xC0 == 0x80 else { return (i, line, column) }
                scalar = scalar << 6 | UInt32(continuation & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return (i, line, column) }
            if b == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += length
        }
        return (i, line, column)
    }
}

/// Validates flow files as far as the flow model goes: the parser's rules. `batchledger validate`, `run` and
/// serve use `FlowCheck` (module Engine), which adds what a run would refuse once it renders the templates.
///
/// Returns every problem of the file, sorted by position. The flow is valid when none has severity
/// `.error` (`!diagnostics.containsErrors`); warnings do not make it invalid.
public func validate(source: String, file: String) -> [FlowDiagnostic] {
    FlowParser.parse(source: source, file: file).diagnostics
}

/// Validates a flow file on disk; see `validate(source:file:)`.
public func validate(contentsOf url: URL, file: String? = nil) -> [FlowDiagnostic] {
    FlowParser.parse(contentsOf: url, file: file).diagnostics
}

extension FlowParser {
    /// Reads a YAML value given outside a flow (a YAML input), with the same safety limits as a flow; the problems
    /// as `FILE:LINE:COLUMN: message` when it is not one.
    public static func parseValue(yaml text: String, file: String, limits: Limits = Limits()) -> Result<
        YAMLNode, FlowProblemList
    > {
        let (root, diagnostics) = YAMLReader(file: file, limits: limits).read(text)
        let errors = diagnostics.filter { $0.severity == .error }
        guard let root, errors.isEmpty else {
            return .failure(FlowProblemList(problems: errors.map(\.description)))
        }
        return .success(root)
    }
}

/// Problems found reading a value, each `FILE:LINE:COLUMN: message`.
public struct FlowProblemList: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { problems.isEmpty ? "not a YAML value" : problems.joined(separator: "; ") }
}
