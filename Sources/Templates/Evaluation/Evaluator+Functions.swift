import Foundation

/// Functions: `secret`, `now`, `uuid`, `json`/`fromJson`, `render`/`renderOnce`, `read`, `range`, `min`, `max`.
extension Evaluator {
    static let functionNames = [
        "fromJson", "json", "max", "min", "now", "range", "read", "render", "renderOnce", "secret", "uuid",
    ]

    func callFunction(_ name: String, _ args: Arguments) throws(TemplateFailure) -> TemplateValue {
        switch name {
        case "secret":
            let key = try args.string(0, "key")
            do {
                let value = try context.secrets.value(of: key)
                recordSecret(name: key, value: value)
                return .string(value)
            } catch {
                throw TemplateFailure(.secret, at: args.position, error.description)
            }
        case "now":
            let micros = Int64((context.clock().timeIntervalSince1970 * 1_000_000).rounded())
            let pattern = try args.optionalString(99, "format") ?? "iso"
            return .string(try format(micros, pattern: pattern, try timeZone(args), args))
        case "uuid":
            return .string(context.makeUUID())
        case "json", "fromJson":
            let input = try args.required(0, "json")
            guard case .string(let text) = input else { return input }
            do {
                return try JSONReader.parse(text, maxDepth: limits.maxNesting)
            } catch {
                throw args.failure("invalid JSON at character \(error.offset): \(error.message)")
            }
        case "render", "renderOnce":
            let input = try args.required(0, "template")
            guard case .string(let text) = input else { return input }
            let wantsRecursion = try args.bool(1, "recursive", default: false)
            let recursive = name == "render" && wantsRecursion
            return .string(try renderNested(text, recursive: recursive, args))
        case "read":
            let path = try args.string(0, "path")
            let shown = Self.quotedPath(path)
            guard let reader = context.readNamespaceFile else {
                throw args.failure("namespace files are not available here: cannot read \(shown)", kind: .file)
            }
            do {
                return .string(try reader(path))
            } catch {
                throw args.failure("cannot read \(shown): \(error)", kind: .file)
            }
        case "range":
            let low = try args.int(0, "start")
            let high = try args.int(1, "end")
            let stepSize = try args.optionalInt(2, "step") ?? 1
            guard stepSize != 0 else { throw args.failure("step must not be 0") }
            let (span, overflow) = high.subtractingReportingOverflow(low)
            // `span / stepSize` is the item count minus one; comparing it avoids the overflow of adding one.
            let steps = overflow || stepSize == Int.min ? Int.max : span / stepSize
            guard steps < limits.maxRangeLength else {
                throw args.failure("range has more than \(limits.maxRangeLength) items", kind: .limit)
            }
            return .list(stride(from: low, through: high, by: stepSize).map { .int($0) })
        case "min", "max":
            var values = args.positional
            if values.count == 1, case .list(let items) = values[0] { values = items }
            guard var best = values.first else { throw args.failure("needs at least one value") }
            for value in values.dropFirst() {
                guard let order = Self.compare(value, best) else {
                    throw args.failure("cannot compare \(value.typeDescription) with \(best.typeDescription)")
                }
                if (name == "min" && order < 0) || (name == "max" && order > 0) { best = value }
            }
            return best
        default:
            throw Self.unknownFunction(name, at: args.position)
        }
    }

    /// `unknown function 'name'`, with the closest known function when one looks like a typo.
    static func unknownFunction(_ name: String, at position: TemplatePosition) -> TemplateFailure {
        var message = "unknown function '\(name)'"
        if let suggestion = EditDistance.closest(to: name, among: functionNames) {
            message += " (did you mean '\(suggestion)'?)"
        }
        return TemplateFailure(.unknownName, at: position, message)
    }

    /// Renders a string value as a template, once (or, with `recursive=true`, until it stops changing), in the same
    /// context. Errors inside it are reported at the `render()` call.
    private func renderNested(_ text: String, recursive: Bool, _ args: Arguments) throws(TemplateFailure) -> String {
        guard renderDepth < limits.maxRenderDepth else {
            throw args.failure("render() nested more than \(limits.maxRenderDepth) levels", kind: .limit)
        }
        renderDepth += 1
        defer { renderDepth -= 1 }
        var current = text
        for _ in 0..<(recursive ? limits.maxRenderDepth : 1) {
            guard current.contains("{") else { return current }
            let nodes: [Node]
            do {
                nodes = try Parser.parse(current, maxNesting: limits.maxNesting)
            } catch {
                throw nestedFailure(error, args)
            }
            var out = ""
            do {
                try render(nodes, into: &out)
            } catch {
                throw nestedFailure(error, args)
            }
            if out == current { break }
            current = out
        }
        return current
    }

    private func nestedFailure(_ failure: TemplateFailure, _ args: Arguments) -> TemplateFailure {
        TemplateFailure(
            failure.kind, at: args.position,
            "in the text rendered by \(args.callee.replacingOccurrences(of: "function '", with: "").dropLast())()"
                + " (line \(failure.position.line + 1), column \(failure.position.column)): \(failure.message)")
    }
}
