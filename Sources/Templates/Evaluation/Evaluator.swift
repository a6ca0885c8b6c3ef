/// Renders parsed statements against a context. One evaluator serves one render call (and the `render()` calls
/// nested in it); it records the secrets resolved so that the caller can mask them.
final class Evaluator {
    let context: TemplateContext
    private(set) var secretsUsed: [(name: String, value: String)] = []
    private var scopes: [[String: TemplateValue]] = [[:]]
    private var steps = 0
    var renderDepth = 0

    init(context: TemplateContext) {
        self.context = context
    }

    var limits: TemplateLimits { context.limits }

    /// Counts one evaluation step, failing once the budget is spent (a template cannot hang the process).
    func step(at position: TemplatePosition) throws(TemplateFailure) {
        steps += 1
        if steps > limits.maxSteps {
            throw TemplateFailure(
                .limit, at: position,
                "template takes more than \(limits.maxSteps) evaluation steps: simplify its loops")
        }
    }

    func recordSecret(name: String, value: String) {
        if !secretsUsed.contains(where: { $0.name == name.uppercased() && $0.value == value }) {
            secretsUsed.append((name.uppercased(), value))
        }
    }

    // MARK: - Statements

    func render(_ nodes: [Node], into out: inout String) throws(TemplateFailure) {
        for node in nodes {
            switch node {
            case .text(let text):
                try append(text, to: &out, at: .start)
            case .output(let expression):
                try step(at: expression.position)
                try append(try evaluate(expression).outputText, to: &out, at: expression.position)
            case .conditional(let branches):
                for branch in branches {
                    if let condition = branch.condition {
                        try step(at: condition.position)
                        guard try evaluate(condition).isTruthy else { continue }
                    }
                    try render(branch.body, into: &out)
                    break
                }
            case .loop(let variable, let keyVariable, let iterable, let body, let emptyBody, let position):
                try renderLoop(
                    variable: variable, keyVariable: keyVariable, iterable: iterable, body: body,
                    emptyBody: emptyBody, position: position, into: &out)
            case .assignment(let name, let value):
                try step(at: value.position)
                let result = try evaluate(value)
                try checkNesting(of: result, at: value.position)
                scopes[scopes.count - 1][name] = result
            }
        }
    }

    private func append(_ text: String, to out: inout String, at position: TemplatePosition) throws(TemplateFailure) {
        if out.utf8.count + text.utf8.count > limits.maxOutputBytes {
            throw TemplateFailure(.limit, at: position, "rendered text exceeds \(limits.maxOutputBytes) bytes")
        }
        out += text
    }

    private func renderLoop(
        variable: String, keyVariable: String?, iterable: Expression, body: [Node], emptyBody: [Node],
        position: TemplatePosition, into out: inout String
    ) throws(TemplateFailure) {
        let collection = try evaluate(iterable)
        var items: [(key: TemplateValue, value: TemplateValue)]
        switch collection {
        case .list(let list): items = list.enumerated().map { (.int($0.offset), $0.element) }
        case .map(let map):
            items = map.entries.map { entry in
                (
                    .string(entry.key),
                    keyVariable == nil ? .map(["key": .string(entry.key), "value": entry.value]) : entry.value
                )
            }
        case .null: items = []
        default:
            throw TemplateFailure(
                .type, at: iterable.position,
                "cannot loop over '\(iterable.path)': it is \(collection.typeDescription), not a list or a map")
        }
        if items.isEmpty {
            try render(emptyBody, into: &out)
            return
        }
        scopes.append([:])
        defer { scopes.removeLast() }
        for (index, item) in items.enumerated() {
            try step(at: position)
            var scope: [String: TemplateValue] = [
                "loop": .map([
                    "index": .int(index), "revindex": .int(items.count - index - 1), "first": .bool(index == 0),
                    "last": .bool(index == items.count - 1), "length": .int(items.count),
                ]),
                variable: item.value,
            ]
            if let keyVariable { scope[keyVariable] = item.key }
            for (name, value) in scope { scopes[scopes.count - 1][name] = value }
            try render(body, into: &out)
        }
    }

    /// Values kept by `set` may not nest deeper than `maxNesting`: a loop that wraps a value in a list at each
    /// iteration would otherwise build a value whose printing or release overflows the stack. The walk is paid for
    /// in evaluation steps.
    private func checkNesting(of value: TemplateValue, at position: TemplatePosition) throws(TemplateFailure) {
        var stack: [(TemplateValue, Int)] = [(value, 1)]
        while let (current, depth) = stack.popLast() {
            let children: [TemplateValue]
            switch current {
            case .list(let items): children = items
            case .map(let map): children = map.values
            default: continue
            }
            if depth > limits.maxNesting {
                throw TemplateFailure(.limit, at: position, "value nested deeper than \(limits.maxNesting) levels")
            }
            for child in children {
                try step(at: position)
                switch child {
                case .list, .map: stack.append((child, depth + 1))
                default: break
                }
            }
        }
    }

    // MARK: - Variables

    /// The value of a variable in scope, or nil when it is not defined.
    func variable(_ name: String) -> TemplateValue? {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return context.variables[name]
    }

    var visibleNames: [String] {
        var names = context.variables.keys
        for scope in scopes { names.append(contentsOf: scope.keys) }
        return names
    }
}
