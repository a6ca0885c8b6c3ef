import Foundation

/// String filters: case, trimming, replacing, splitting, prefixes, substrings, indentation, slugs.
extension Evaluator {
    func stringFilter(_ name: String, _ input: TemplateValue, _ args: Arguments) throws(TemplateFailure)
        -> TemplateValue?
    {
        let known: Set<String> = [
            "upper", "lower", "capitalize", "title", "trim", "replace", "split", "startsWith", "endsWith",
            "substringBefore", "substringAfter", "substringBeforeLast", "substringAfterLast", "indent", "nindent",
            "slugify", "abbreviate",
        ]
        guard known.contains(name) else { return nil }
        if name == "replace", case .list = input { return try replaceInside(input, args) }
        if name == "replace", case .map = input { return try replaceInside(input, args) }
        guard let text = try stringInput(input, args) else { return .null }
        switch name {
        case "upper": return .string(text.uppercased())
        case "lower": return .string(text.lowercased())
        case "capitalize":
            guard let first = text.first else { return .string(text) }
            return .string(first.uppercased() + text.dropFirst())
        case "title":
            var out = ""
            var capitalizeNext = true
            for character in text {
                if character.isWhitespace {
                    capitalizeNext = true
                    out.append(character)
                } else if capitalizeNext {
                    out += character.uppercased()
                    capitalizeNext = false
                } else {
                    out.append(character)
                }
            }
            return .string(out)
        case "abbreviate":
            let length = try args.int(0, "length")
            guard length >= 3 else { throw args.failure("length must be at least 3 (room for '...')") }
            guard text.count > length else { return .string(text) }
            return .string(String(text.prefix(length - 3)) + "...")
        case "trim": return .string(text.trimmingCharacters(in: .whitespacesAndNewlines))
        case "replace": return .string(try replace(text, args))  // lists and maps are handled before
        case "split": return try split(text, args)
        case "startsWith": return .bool(text.hasPrefix(try args.string(0, "prefix")))
        case "endsWith": return .bool(text.hasSuffix(try args.string(0, "suffix")))
        case "substringBefore", "substringAfter", "substringBeforeLast", "substringAfterLast":
            return .string(Self.substring(name, text, separator: try args.string(0, "separator")))
        case "indent", "nindent":
            // As Kestra: every line break (the text's own kind: CRLF, LFCR, LF or CR) is followed by the prefix;
            // `nindent` also starts with a line break.
            let amount = try args.int(0, "amount")
            guard (0...1000).contains(amount) else { throw args.failure("amount must be between 0 and 1000") }
            guard !text.isEmpty else { return .string(text) }
            let prefix = String(repeating: try args.optionalString(1, "prefix") ?? " ", count: amount)
            let newline = ["\r\n", "\n\r", "\n", "\r"].first { text.contains($0) } ?? "\n"
            let source = name == "nindent" ? newline + text : text
            return .string(source.replacingOccurrences(of: newline, with: newline + prefix))
        default:
            return .string(Self.slugify(text))
        }
    }

    /// Kestra's `replace` also rewrites every string (and printed scalar) inside lists and maps.
    private func replaceInside(_ value: TemplateValue, _ args: Arguments) throws(TemplateFailure) -> TemplateValue {
        switch value {
        case .list(let items):
            var out: [TemplateValue] = []
            for item in items { out.append(try replaceInside(item, args)) }
            return .list(out)
        case .map(let map):
            var out = OrderedMap()
            for entry in map.entries { out[entry.key] = try replaceInside(entry.value, args) }
            return .map(out)
        case .null: return .null
        default: return .string(try replace(value.outputText, args))
        }
    }

    private func replace(_ text: String, _ args: Arguments) throws(TemplateFailure) -> String {
        var pairs: [(String, String)] = []
        switch args.value(0, "replace_pairs") {
        case .map(let map):
            pairs = map.entries.map { ($0.key, $0.value.outputText) }
        case .string(let search):
            pairs = [(search, try args.string(1, "replacement"))]
        default:
            throw args.failure("expects a map of replacements ({'old': 'new'}) or two strings (old, new)")
        }
        if try args.bool(2, "regexp", default: false) {
            // ICU regular expressions can backtrack for ever on hostile patterns; templates must not hang.
            throw args.failure("regexp=true is not supported: replace literal text, or do it in the script")
        }
        var result = text
        for (search, replacement) in pairs where !search.isEmpty {
            result = result.replacingOccurrences(of: search, with: replacement)
        }
        return result
    }

    private func split(_ text: String, _ args: Arguments) throws(TemplateFailure) -> TemplateValue {
        let delimiter = try args.string(0, "delimiter")
        let limit = try args.optionalInt(1, "limit") ?? 0
        guard !delimiter.isEmpty else { return .list(text.map { .string(String($0)) }) }
        var parts = text.components(separatedBy: delimiter)
        if limit > 0, parts.count > limit {
            let head = parts.prefix(limit - 1)
            let tail = parts.dropFirst(limit - 1).joined(separator: delimiter)
            parts = Array(head) + [tail]
        } else if limit == 0 {
            // Java's String.split drops trailing empty strings.
            while parts.count > 1, parts.last == "" { parts.removeLast() }
            if parts == [""] && !text.isEmpty { parts = [] }
        }
        return .list(parts.map { .string($0) })
    }

    /// Apache Commons `StringUtils.substring{Before,After}[Last]`, which Kestra uses.
    static func substring(_ name: String, _ text: String, separator: String) -> String {
        switch name {
        case "substringBefore":
            if separator.isEmpty { return "" }
            guard let range = text.range(of: separator) else { return text }
            return String(text[..<range.lowerBound])
        case "substringAfter":
            if separator.isEmpty { return text }
            guard let range = text.range(of: separator) else { return "" }
            return String(text[range.upperBound...])
        case "substringBeforeLast":
            if separator.isEmpty { return text }
            guard let range = text.range(of: separator, options: .backwards) else { return text }
            return String(text[..<range.lowerBound])
        default:
            if separator.isEmpty { return "" }
            guard let range = text.range(of: separator, options: .backwards) else { return "" }
            return String(text[range.upperBound...])
        }
    }

    /// Lower case, accents removed, every run of other characters turned into one `-`, no `-` at either end.
    static func slugify(_ text: String) -> String {
        var out = ""
        var pendingDash = false
        for scalar in text.decomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            if scalar.properties.generalCategory == .nonspacingMark { continue }
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                if pendingDash, !out.isEmpty { out += "-" }
                pendingDash = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingDash = true
            }
        }
        return out
    }
}
