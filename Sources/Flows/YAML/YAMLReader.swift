import Foundation
import Yams

/// Reads YAML text into a located `YAMLNode` tree with `Yams.compose`, never `Yams.load`.
///
/// It refuses, with a located message and without crashing or hanging: nesting deeper than the
/// limit, aliases that expand to too many nodes ("billion laughs"), aliases as keys, non-string keys,
/// and unquoted templates (`region: {{ vars.region }}`, which YAML reads as a mapping). Duplicate keys
/// are reported at the second occurrence, naming the first.
struct YAMLReader {
    let file: String
    let limits: FlowParser.Limits

    /// Private-use scalar that prefixes a key renamed to get past Yams' duplicate-key refusal.
    static let renameMarker: Unicode.Scalar = "\u{E000}"

    private struct Edit {
        let line: Int
        let column: Int
    }

    func read(_ text: String) -> (root: YAMLNode?, diagnostics: [FlowDiagnostic]) {
        // A byte-order mark is not part of the text (editors do not count it as a column), and Yams,
        // which tells libyaml the encoding, would otherwise read it as content.
        let source = text.hasPrefix("\u{FEFF}") ? String(text.unicodeScalars.dropFirst()) : text
        var sink = DiagnosticSink()
        let start = SourceLocation(file: file, line: 1, column: 1)
        if source.utf8.count > limits.maxFileBytes {
            sink.error(
                "file is \(source.utf8.count) bytes, more than the \(limits.maxFileBytes) bytes a flow may have",
                at: start)
            return (nil, sink.diagnostics)
        }
        let scanner = YAMLSafetyScanner(
            file: file, depthThreshold: limits.maxDepth * 2, reportedDepthLimit: limits.maxDepth)
        if let refusal = scanner.scan(source) {
            sink.append(contentsOf: [refusal])
            return (nil, sink.diagnostics)
        }

        var text = source
        var edits: [Edit] = []
        var composed: Node?
        var attempt = 0
        while true {
            do {
                composed = try Yams.compose(yaml: text, Resolver.basic)
                break
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let mark = adjust(line: context.mark.line, column: context.mark.column, edits: edits)
                attempt += 1
                let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
                // Each duplicate costs one more compose of the whole text: allow fewer for big files.
                let cap = source.utf8.count > 1_000_000 ? min(2, limits.maxDuplicateKeys) : limits.maxDuplicateKeys
                if attempt > cap {
                    sink.error(
                        "too many duplicate keys (more than \(cap)): \(names) appears again "
                            + "after line \(mark.line), column \(mark.column); remove the duplicates",
                        at: SourceLocation(file: file, line: mark.line, column: mark.column))
                    return (nil, sink.diagnostics)
                }
                guard
                    let renamed = Self.renameKey(
                        in: text, line: context.mark.line, column: context.mark.column, attempt)
                else {
                    sink.error(
                        "duplicate key \(names): defined here and again later in the same mapping; keep only one",
                        at: SourceLocation(file: file, line: mark.line, column: mark.column))
                    return (nil, sink.diagnostics)
                }
                text = renamed
                edits.append(Edit(line: context.mark.line, column: context.mark.column))
            } catch let error as YamlError {
                sink.append(contentsOf: [translate(error, original: source, edits: edits)])
                return (nil, sink.diagnostics)
            } catch {
                sink.error("invalid YAML: \(error)", at: start)
                return (nil, sink.diagnostics)
            }
        }
        guard let composed else {
            sink.error("file is empty: a flow needs at least 'id', 'namespace' and 'tasks'", at: start)
            return (nil, sink.diagnostics)
        }

        let budget = min(limits.maxNodes, 10_000 + 4 * source.unicodeScalars.count)
        var converter = NodeConverter(
            file: file, source: SourceText(source), maxDepth: limits.maxDepth, budget: budget,
            adjust: { line, column in adjust(line: line, column: column, edits: edits) })
        let root = converter.convert(composed, depth: 1, context: "")
        sink.append(contentsOf: converter.sink.diagnostics)
        return (converter.aborted ? nil : root, sink.diagnostics)
    }

    private func adjust(line: Int, column: Int, edits: [Edit]) -> (line: Int, column: Int) {
        var column = column
        for edit in edits.reversed() where edit.line == line && column > edit.column + 1 {
            column -= 2
        }
        return (line, column)
    }

    /// Inserts a unique two-scalar prefix into the key at `line:column` (inside its quotes if quoted).
    static func renameKey(in text: String, line: Int, column: Int, _ attempt: Int) -> String? {
        let source = SourceText(text)
        guard var index = source.index(line: line, column: column), index < source.scalars.count,
            let unique = Unicode.Scalar(0xF000 + attempt)
        else { return nil }
        let first = source.scalars[index]
        if first == "\"" || first == "'" { index += 1 }
        guard !["?", "&", "!", "*", "[", "{"].contains(first) else { return nil }
        var scalars = source.scalars
        scalars.insert(contentsOf: [renameMarker, unique], at: index)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    private func translate(_ error: YamlError, original: String, edits: [Edit]) -> FlowDiagnostic {
        func located(_ message: String, _ mark: Mark, context: YamlError.Context?) -> FlowDiagnostic {
            let position = adjust(line: mark.line, column: mark.column, edits: edits)
            var text = "invalid YAML: \(message)"
            if let context {
                let contextPosition = adjust(line: context.mark.line, column: context.mark.column, edits: edits)
                text += " (\(context.text) at line \(contextPosition.line), column \(contextPosition.column))"
            }
            text += hint(for: message, context: context, line: position.line, original: original)
            return FlowDiagnostic(text, at: SourceLocation(file: file, line: position.line, column: position.column))
        }
        switch error {
        case .composer(_, let problem, let mark, _) where problem.contains("found another document"):
            let position = adjust(line: mark.line, column: mark.column, edits: edits)
            return FlowDiagnostic(
                "a flow file must hold a single YAML document: remove this '---' and what follows, or split the file",
                at: SourceLocation(file: file, line: position.line, column: position.column))
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(problem, mark, context: context)
        case .reader(let problem, let offset, let value, _):
            let position = SourceText.location(ofCharacterOffset: offset ?? 0, in: original)
            let character = value >= 0 ? String(format: " (character U+%04X)", value) : ""
            return FlowDiagnostic(
                "invalid YAML: \(problem)\(character): a flow file must be printable UTF-8 text",
                at: SourceLocation(file: file, line: position.line, column: position.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return located("duplicate keys \(duplicates)", context.mark, context: nil)
        default:
            return FlowDiagnostic("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    private func hint(for problem: String, context: YamlError.Context?, line: Int, original: String) -> String {
        if context?.text.contains("while scanning an alias") == true {
            return "; a value that starts with '*' (like a glob) must be quoted: write \"*.csv\""
        }
        if problem.contains("undefined alias") {
            return "; an alias '*name' needs an anchor '&name' before it, or quote the value if '*' is literal"
        }
        let lineText = SourceText(original).restOfLine(line: line, column: 1)
        if lineText.contains(": {{") || lineText.contains("- {{") {
            return "; a value that starts with '{{' must be quoted: write key: \"{{ … }}\""
        }
        if lineText.hasPrefix("\t") || lineText.drop(while: { $0 == " " }).hasPrefix("\t") {
            return "; indent YAML with spaces, not tabs"
        }
        if problem.contains("mapping values are not allowed") {
            return "; check the indentation of this line, or quote a value that contains ': '"
        }
        return ""
    }
}
