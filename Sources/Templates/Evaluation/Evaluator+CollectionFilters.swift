import Foundation

/// Filters over lists, maps and numbers: `default`, `join`, `first`, `last`, `length`, `keys`, `values`,
/// `sort`, `reverse`, `chunk`, `json`/`toJson`, `number`, `abs`.
extension Evaluator {
    func collectionFilter(_ name: String, _ input: TemplateValue, _ args: Arguments) throws(TemplateFailure)
        -> TemplateValue?
    {
        switch name {
        case "default":
            return input.isEmptyValue ? try args.required(0, "default") : input
        case "join":
            let separator = try args.optionalString(0, "separator") ?? ""
            switch input {
            case .list(let items): return .string(items.map(\.outputText).joined(separator: separator))
            case .null: return .null
            default: return input
            }
        case "first", "last":
            switch input {
            case .list(let items): return (name == "first" ? items.first : items.last) ?? .null
            case .string(let text):
                guard let character = name == "first" ? text.first : text.last else { return .string("") }
                return .string(String(character))
            case .null: return .null
            default: throw args.failure("needs a list or a string, not \(input.typeDescription)")
            }
        case "length":
            switch input {
            case .null: return .int(0)
            case .string(let text): return .int(text.utf16.count)
            case .list(let items): return .int(items.count)
            case .map(let map): return .int(map.count)
            default: return .int(input.outputText.utf16.count)
            }
        case "keys", "values":
            guard case .map(let map) = input else { throw args.failure("needs a map, not \(input.typeDescription)") }
            return .list(name == "keys" ? map.keys.map { .string($0) } : map.values)
        case "sort":
            guard case .list(let items) = input else {
                throw args.failure("needs a list, not \(input.typeDescription)")
            }
            var failed = false
            let sorted = items.sorted { a, b in
                guard let order = Self.compare(a, b) else {
                    failed = true
                    return false
                }
                return order < 0
            }
            if failed { throw args.failure("can only sort lists of numbers or of strings") }
            return .list(sorted)
        case "rsort":
            guard case .list = input else { throw args.failure("needs a list, not \(input.typeDescription)") }
            guard case .list(let sorted) = try collectionFilter("sort", input, args) ?? .null else { return .null }
            return .list(sorted.reversed())
        case "flatten":
            guard case .list(let items) = input else {
                throw args.failure("needs a list, not \(input.typeDescription)")
            }
            return .list(
                items.flatMap { item -> [TemplateValue] in
                    if case .list(let inner) = item { return inner }
                    return [item]
                })
        case "merge":
            let other = try args.required(0, "items")
            switch (input, other) {
            case (.list(let a), .list(let b)): return .list(a + b)
            case (.map(var a), .map(let b)):
                for entry in b.entries { a[entry.key] = entry.value }
                return .map(a)
            default:
                throw args.failure(
                    "merges two lists or two maps, not \(input.typeDescription) and \(other.typeDescription)")
            }
        case "slice":
            return try slice(input, args)
        case "reverse":
            switch input {
            case .list(let items): return .list(items.reversed())
            case .string(let text): return .string(String(text.reversed()))
            case .null: return .null
            default: throw args.failure("needs a list or a string, not \(input.typeDescription)")
            }
        case "chunk":
            guard case .list(let items) = input else {
                throw args.failure("needs a list, not \(input.typeDescription)")
            }
            let size = try args.int(0, "size")
            guard size > 0 else { throw args.failure("size must be positive") }
            return .list(
                stride(from: 0, to: items.count, by: size).map { .list(Array(items[$0..<min($0 + size, items.count)])) }
            )
        case "json", "toJson":
            return .string(input.jsonText)
        case "number":
            return try number(input, args)
        case "abs":
            switch input {
            case .int(let int):
                guard int != Int.min else { throw args.failure("integer overflow") }
                return .int(abs(int))
            case .double(let double): return .double(abs(double))
            default: throw args.failure("needs a number, not \(input.typeDescription)")
            }
        default:
            return nil
        }
    }

    /// Pebble's `slice(fromIndex, toIndex)` on a list or a string; indices out of range are an error.
    private func slice(_ input: TemplateValue, _ args: Arguments) throws(TemplateFailure) -> TemplateValue {
        let count: Int
        switch input {
        case .list(let items): count = items.count
        case .string(let text): count = text.count
        case .null: return .null
        default: throw args.failure("needs a list or a string, not \(input.typeDescription)")
        }
        let from = try args.optionalInt(0, "fromIndex") ?? 0
        let to = try args.optionalInt(1, "toIndex") ?? count
        guard from >= 0, to <= count, from <= to else {
            throw args.failure("indices \(from)..<\(to) are out of range for \(count) item\(count == 1 ? "" : "s")")
        }
        switch input {
        case .list(let items): return .list(Array(items[from..<to]))
        case .string(let text):
            let start = text.index(text.startIndex, offsetBy: from)
            let end = text.index(text.startIndex, offsetBy: to)
            return .string(String(text[start..<end]))
        default: return .null
        }
    }

    private func number(_ input: TemplateValue, _ args: Arguments) throws(TemplateFailure) -> TemplateValue {
        let type = try args.optionalString(0, "type")?.uppercased()
        let value: TemplateValue
        switch input {
        case .int, .double: value = input
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let int = Int(trimmed) {
                value = .int(int)
            } else if let double = Double(trimmed), double.isFinite {
                value = .double(double)
            } else {
                throw args.failure("'\(text.prefix(40))' is not a number")
            }
        default: throw args.failure("needs a string or a number, not \(input.typeDescription)")
        }
        switch type {
        case nil, "BIGDECIMAL": return value
        case "INT", "INTEGER", "LONG":
            guard let double = value.numericValue, abs(double) < 9.2e18 else { throw args.failure("out of range") }
            if case .int = value { return value }
            return .int(Int(double))
        case "FLOAT", "DOUBLE": return .double(value.numericValue ?? 0)
        default: throw args.failure("unknown type '\(type ?? "")': use INT, LONG, FLOAT, DOUBLE or BIGDECIMAL")
        }
    }
}
