import Foundation
import Yams

/// Turns a composed Yams `Node` into a `YAMLNode`, counting nodes (aliases are expanded here, so the
/// count caps "billion laughs" documents), limiting depth, and checking keys.
struct NodeConverter {
    let file: String
    let source: SourceText
    let maxDepth: Int
    var budget: Int
    let adjust: (Int, Int) -> (line: Int, column: Int)
    var sink = DiagnosticSink()
    private(set) var aborted = false
    private var depthReported = false

    init(
        file: String, source: SourceText, maxDepth: Int, budget: Int,
        adjust: @escaping (Int, Int) -> (line: Int, column: Int)
    ) {
        self.file = file
        self.source = source
        self.maxDepth = maxDepth
        self.budget = budget
        self.adjust = adjust
    }

    private func location(_ mark: Mark?) -> SourceLocation {
        guard let mark else { return SourceLocation(file: file, line: 1, column: 1) }
        let position = adjust(mark.line, mark.column)
        return SourceLocation(file: file, line: position.line, column: position.column)
    }

    /// Converts `node`; `context` is what precedes the value in the file (`key: ` or `- `), for messages.
    mutating func convert(_ node: Node, depth: Int, context: String) -> YAMLNode {
        let here = location(node.mark)
        let placeholder = YAMLNode(.scalar(YAMLScalar(text: "", style: .plain)), at: here)
        if aborted { return placeholder }
        budget -= 1
        if budget < 0 {
            aborted = true
            sink.error(
                "the document expands to too many YAML nodes (aliases expanding too much, as in a "
                    + "'billion laughs' document?): remove the '*' aliases or shrink the file",
                at: here)
            return placeholder
        }
        if depth > maxDepth {
            if !depthReported {
                depthReported = true
                sink.error(
                    "nesting deeper than \(maxDepth) levels: a flow never needs such deep structures; flatten it",
                    at: here)
            }
            return placeholder
        }
        switch node {
        case .scalar(let scalar):
            let style: YAMLScalar.Style
            switch scalar.style {
            case .singleQuoted, .doubleQuoted: style = .quoted
            case .literal, .folded: style = .block
            default: style = .plain
            }
            return YAMLNode(.scalar(YAMLScalar(text: scalar.string, style: style)), at: here)
        case .alias:
            return placeholder
        case .sequence(let sequence):
            var items: [YAMLNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence {
                items.append(convert(item, depth: depth + 1, context: "- "))
                if aborted { return placeholder }
            }
            return YAMLNode(.sequence(items), at: here, isFlowStyle: startsWith("[", at: here))
        case .mapping(let mapping):
            if let template = unquotedTemplate(mapping, at: here) {
                sink.error("template must be quoted: write \(context)\(Self.quoted(template))", at: here)
                return YAMLNode(.scalar(YAMLScalar(text: template, style: .quoted)), at: here)
            }
            var entries: [YAMLEntry] = []
            var seen: [String: SourceLocation] = [:]
            for (keyNode, valueNode) in mapping {
                let keyLocation = location(keyNode.mark)
                guard case .scalar(let keyScalar) = keyNode else {
                    if case .mapping = keyNode, startsWith("{{", at: keyLocation) {
                        sink.error("a template cannot be a key: write the key as a plain string", at: keyLocation)
                    } else {
                        sink.error("mapping keys must be strings, found a \(Self.shape(keyNode))", at: keyLocation)
                    }
                    continue
                }
                let key = Self.stripRenameMarker(keyScalar.string)
                let value = convert(valueNode, depth: depth + 1, context: "\(key): ")
                if aborted { return placeholder }
                if let first = seen[key] {
                    sink.error("duplicate key '\(key)' (first defined at \(first.lineAndColumn))", at: keyLocation)
                    continue
                }
                seen[key] = keyLocation
                entries.append(YAMLEntry(key: Located(key, at: keyLocation), value: value))
            }
            return YAMLNode(.mapping(entries), at: here, isFlowStyle: startsWith("{", at: here))
        }
    }

    /// Whether the source text at `location` starts with `prefix`. (Yams 6.2.2 does not keep a
    /// collection's flow or block style: it reads it from the end event.)
    private func startsWith(_ prefix: String, at location: SourceLocation) -> Bool {
        source.restOfLine(line: location.line, column: location.column, limit: prefix.unicodeScalars.count)
            .hasPrefix(prefix)
    }

    /// The template text if the mapping at `here` is `{{ … }}` written without quotes.
    private func unquotedTemplate(_ mapping: Node.Mapping, at here: SourceLocation) -> String? {
        // `{{ x }}` is a flow mapping with one key, itself a mapping, and no value.
        guard mapping.count == 1, let pair = mapping.first, case .mapping = pair.key,
            case .scalar(let value) = pair.value, value.string.isEmpty, value.style != .singleQuoted,
            value.style != .doubleQuoted
        else { return nil }
        let rest = source.restOfLine(line: here.line, column: here.column)
        guard rest.hasPrefix("{{") || rest.hasPrefix("{%") else { return nil }
        let closing = rest.hasPrefix("{{") ? "}}" : "%}"
        if let end = rest.range(of: closing) {
            return String(rest[..<end.upperBound])
        }
        return rest.trimmingCharacters(in: .whitespaces)
    }

    private static func quoted(_ text: String) -> String {
        text.contains("\"") ? "'\(text.replacingOccurrences(of: "'", with: "''"))'" : "\"\(text)\""
    }

    private static func shape(_ node: Node) -> String {
        switch node {
        case .mapping: return "mapping"
        case .sequence: return "list"
        default: return "scalar"
        }
    }

    static func stripRenameMarker(_ key: String) -> String {
        var scalars = key.unicodeScalars[...]
        guard scalars.first == YAMLReader.renameMarker else { return key }
        scalars = scalars.dropFirst(2)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
