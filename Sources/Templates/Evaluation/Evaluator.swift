/// Renders parsed statements against a context. One evaluator serves one render call (and the `render()` calls
/// nested in it); it records the secrets resolved so that the caller can mask them.
final class Evaluator {
    let context: TemplateContext
    private(set) var secretsUsed: [(name: String, value: String)] = []
    private var scopes: [[String: TemplateValue]] = [[:]]
    private var steps = 0
    private var nesting = 0
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

    /// Counts one level of evaluation recursion (expressions, tag bodies, `render()` levels together), failing
    /// past `maxEvaluationDepth` so that the combination of limits can never overflow the stack.
    func enterNesting(at position: TemplatePosition) throws(TemplateFailure) {
        nesting += 1
        if nesting > limits.maxEvaluationDepth {
            nesting -= 1
            throw TemplateFailure(
                .limit, at: position,
                "template nests expressions, tags and render() calls deeper than \(limits.maxEvaluationDepth) levels")
        }
    }

    func leaveNesting() { nesting -= 1 }

    func recordSecret(name: String, value: String) {
        if !secretsUsed.contains(where: { $0.name == name.uppercased() && $0.value == value }) {
            secretsUsed.append((name.uppercased(), value))
        }
    }

    // MARK: - Statements

    func render(_ nodes: [Node], into out: inout String) throws(TemplateFailure) {
        for node in nodes { try render(node, into: &out) }
    }

    /// One statement. Like `evaluate`, it only dispatches, to keep the recursive frames small.
    private func render(_ node: Node, into out: inout String) throws(TemplateFailure) {
        switch node {
        case .text(let text):
            try append(text, to: &out, at: .start)
        case .output(let expression):
            try renderOutput(expression, into: &out)
        case .conditional(let branches):
            try renderConditional(branches, into: &out)
        case .loop(let variable, let keyVariable, let iterable, let body, let emptyBody, let position):
            try renderLoop(
                variable: variable, keyVariable: keyVariable, iterable: iterable, body: body,
                emptyBody: emptyBody, position: position, into: &out)
        case .assignment(let name, let value):
            try assign(name, value)
        }
    }

    private func renderOutput(_ expression: Expression, into out: inout String) throws(TemplateFailure) {
        try step(at: expression.position)
        let value = try evaluate(expression)
        try append(value.outputText, to: &out, at: expression.position)
    }

    private func renderConditional(_ branches: [Node.Branch], into out: inout String) throws(TemplateFailure) {
        for branch in branches {
            if let condition = branch.condition {
                try step(at: condition.position)
                guard try evaluate(condition).isTruthy else { continue }
                try enterNesting(at: condition.position)
            } else {
                try enterNesting(at: .start)
            }
            defer { leaveNesting() }
            try render(branch.body, into: &out)
            return
        }
    }

    private func assign(_ name: String, _ value: Expression) throws(TemplateFailure) {
        try step(at: value.position)
        let result = try evaluate(value)
        try checkNesting(of: result, at: value.position)
        scopes[scopes.count - 1][name] = result
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
        try enterNesting(at: position)
        scopes.append([:])
        defer {
            scopes.removeLast()
            leaveNesting()
        }
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
