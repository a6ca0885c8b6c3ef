/// Checks a parsed template without rendering it: every variable it reads where the scope knows the answer, every
/// filter, function and test name, and, when a secret store is given, every secret it names.
///
/// It reports only what a render would fail on when it reaches the expression: a read that `??`, `???`,
/// `default` or `is defined` tolerates is not an error, nor one guarded by such a test in an enclosing `if`,
/// `and`/`or` or ternary (`{% if inputs.x is defined %}{{ inputs.x }}{% endif %}`).
final class TemplateChecker {
    private let scope: TemplateScope
    private let secrets: SecretStore?
    private(set) var failures: [TemplateFailure] = []
    /// Names that `set` and `for` define, innermost last (as the evaluator's scopes).
    private var frames: [[String]] = [[]]
    /// Access paths that an enclosing condition tests for definedness.
    private var guards: [[String]] = []

    init(scope: TemplateScope, secrets: SecretStore?) {
        self.scope = scope
        self.secrets = secrets
    }

    // MARK: - Statements

    func check(_ nodes: [Node]) {
        for node in nodes { check(node) }
    }

    private func check(_ node: Node) {
        switch node {
        case .text:
            break
        case .output(let expression):
            _ = value(expression)
        case .conditional(let branches):
            let before = guards.count
            for branch in branches {
                if let condition = branch.condition {
                    _ = value(condition)
                    guards += Self.definednessTests(in: condition)
                }
                check(branch.body)
            }
            guards.removeLast(guards.count - before)
        case .loop(let variable, let keyVariable, let iterable, let body, let emptyBody, _):
            _ = value(iterable)
            frames.append([variable, "loop"] + (keyVariable.map { [$0] } ?? []))
            check(body)
            frames.removeLast()
            check(emptyBody)
        case .assignment(let name, let expression):
            _ = value(expression)
            frames[frames.count - 1].append(name)
        }
    }

    // MARK: - Expressions

    /// Checks `expression` as the evaluator's strict evaluation reads it, and returns what is known of its value.
    private func value(_ expression: Expression) -> StaticValue {
        switch expression.kind {
        case .literal(let literal):
            return .known(literal)
        case .variable(let name):
            return variable(name, expression, report: true)
        case .attribute(let base, let name):
            return member(value(base), name, base: base, expression, report: true)
        case .subscripted(let base, let index):
            return element(value(base), value(index), base: base, expression, report: true)
        case .list(let items):
            for item in items { _ = value(item) }
        case .map(let entries):
            for entry in entries {
                _ = value(entry.key)
                _ = value(entry.value)
            }
        case .unary(_, let operand):
            _ = value(operand)
        case .binary(let op, let left, let right):
            binary(op, left, right)
        case .ternary(let condition, let whenTrue, let whenFalse):
            _ = value(condition)
            guarded(by: condition) {
                _ = value(whenTrue)
                _ = value(whenFalse)
            }
        case .filter(let input, let name, let arguments):
            if name == "default" { _ = lenient(input) } else { _ = value(input) }
            for argument in arguments { _ = value(argument.value) }
            if !Evaluator.filterNames.contains(name) {
                failures.append(Evaluator.unknownFilter(name, at: expression.position))
            }
        case .test(let input, let name, _, _):
            if !Evaluator.testNames.contains(name) {
                failures.append(Evaluator.unknownTest(name, at: expression.position))
            }
            if name == "defined" { _ = lenient(input) } else { _ = value(input) }
        case .call(let name, let arguments):
            for argument in arguments { _ = value(argument.value) }
            if !Evaluator.functionNames.contains(name) {
                failures.append(Evaluator.unknownFunction(name, at: expression.position))
            } else if name == "secret" {
                secret(arguments, at: expression.position)
            }
        }
        return .unknown
    }

    private func binary(_ op: String, _ left: Expression, _ right: Expression) {
        switch op {
        case "??", "???":
            _ = lenient(left)
            guarded(by: left) { _ = value(right) }
        case "and", "or":
            _ = value(left)
            guarded(by: left) { _ = value(right) }
        default:
            _ = value(left)
            _ = value(right)
        }
    }

    /// Checks an access path as `??`, `default` and `is defined` read it: a missing part is no error (an index
    /// inside it is still evaluated strictly).
    private func lenient(_ expression: Expression) -> StaticValue {
        switch expression.kind {
        case .variable(let name):
            return variable(name, expression, report: false)
        case .attribute(let base, let name):
            return member(lenient(base), name, base: base, expression, report: false)
        case .subscripted(let base, let index):
            return element(lenient(base), value(index), base: base, expression, report: false)
        default:
            return value(expression)
        }
    }

    private func variable(_ name: String, _ expression: Expression, report: Bool) -> StaticValue {
        if frames.contains(where: { $0.contains(name) }) { return .unknown }
        if let known = scope.variables[name] { return known }
        if report, !isGuarded([name]) {
            failures.append(
                Evaluator.undefined(
                    name, candidates: Array(scope.variables.keys) + frames.flatMap { $0 },
                    reason: scope.absent.reason(for: name),
                    at: expression.position))
        }
        return .unknown
    }

    private func member(
        _ base: StaticValue, _ name: String, base baseExpression: Expression, _ expression: Expression, report: Bool
    ) -> StaticValue {
        switch base {
        case .unknown:
            return .unknown
        case .keys(let entries, let absent):
            if let found = entries[name] { return found }
            if report, !isGuarded(Self.accessPath(expression)) {
                failures.append(
                    Evaluator.undefined(
                        "\(baseExpression.path).\(name)", name: name, candidates: Array(entries.keys),
                        prefix: "\(baseExpression.path).", reason: absent.reason(for: name), at: expression.position))
            }
            return .unknown
        case .known(let known):
            do {
                return .known(
                    try Evaluator.member(of: known, named: name, base: baseExpression, at: expression.position))
            } catch {
                if report, !isGuarded(Self.accessPath(expression)) { failures.append(error) }
                return .unknown
            }
        }
    }

    private func element(
        _ base: StaticValue, _ index: StaticValue, base baseExpression: Expression, _ expression: Expression,
        report: Bool
    ) -> StaticValue {
        guard case .known(let key) = index else { return .unknown }
        switch base {
        case .unknown:
            return .unknown
        case .keys(let entries, let absent):
            switch key {
            case .string, .int: break
            default: return .unknown
            }
            let name = key.outputText
            if let found = entries[name] { return found }
            if report, !isGuarded(Self.accessPath(expression)) {
                failures.append(
                    Evaluator.undefined(
                        expression.path, name: name, candidates: Array(entries.keys), prefix: "\(baseExpression.path).",
                        reason: absent.reason(for: name), at: expression.position))
            }
            return .unknown
        case .known(let known):
            do {
                return .known(try Evaluator.element(of: known, at: key, base: baseExpression, expression: expression))
            } catch {
                if report, !isGuarded(Self.accessPath(expression)) { failures.append(error) }
                return .unknown
            }
        }
    }

    /// `secret('NAME')` with a literal name: checked against the store when there is one.
    private func secret(_ arguments: [Expression.Argument], at position: TemplatePosition) {
        let key = arguments.first { $0.name == "key" } ?? arguments.first { $0.name == nil }
        guard let secrets, let key, case .literal(.string(let name)) = key.value.kind else { return }
        do {
            _ = try secrets.value(of: name)
        } catch {
            failures.append(TemplateFailure(.secret, at: position, error.description))
        }
    }

    // MARK: - Guards

    private func guarded(by condition: Expression, _ body: () -> Void) {
        let tests = Self.definednessTests(in: condition)
        guards += tests
        body()
        guards.removeLast(tests.count)
    }

    /// True when a condition around the expression tests `path` (or a path that starts with it, or that it starts
    /// with) for definedness: the render only reaches the expression when the test allows it.
    private func isGuarded(_ path: [String]?) -> Bool {
        guard let path else { return false }
        return guards.contains { tested in
            let shared = min(tested.count, path.count)
            return tested.prefix(shared) == path.prefix(shared)
        }
    }

    /// The access paths that `expression` tests for definedness: `is defined`, `??`, `???` and `default`.
    static func definednessTests(in expression: Expression) -> [[String]] {
        var paths: [[String]] = []
        func visit(_ expression: Expression) {
            switch expression.kind {
            case .test(let input, "defined", _, _):
                if let path = accessPath(input) { paths.append(path) }
                visit(input)
            case .binary(let op, let left, let right):
                if op == "??" || op == "???", let path = accessPath(left) { paths.append(path) }
                visit(left)
                visit(right)
            case .filter(let input, let name, let arguments):
                if name == "default", let path = accessPath(input) { paths.append(path) }
                visit(input)
                for argument in arguments { visit(argument.value) }
            case .test(let input, _, let arguments, _):
                visit(input)
                for argument in arguments { visit(argument.value) }
            case .unary(_, let operand):
                visit(operand)
            case .ternary(let condition, let whenTrue, let whenFalse):
                visit(condition)
                visit(whenTrue)
                visit(whenFalse)
            case .call(_, let arguments):
                for argument in arguments { visit(argument.value) }
            case .list(let items):
                for item in items { visit(item) }
            case .map(let entries):
                for entry in entries {
                    visit(entry.key)
                    visit(entry.value)
                }
            case .attribute, .subscripted, .variable, .literal:
                break
            }
        }
        visit(expression)
        return paths
    }

    /// `inputs.region` as `["inputs", "region"]`; nil when a part is not a name or a literal key.
    static func accessPath(_ expression: Expression) -> [String]? {
        switch expression.kind {
        case .variable(let name):
            return [name]
        case .attribute(let base, let name):
            return accessPath(base).map { $0 + [name] }
        case .subscripted(let base, let index):
            switch index.kind {
            case .literal(.string(let key)): return accessPath(base).map { $0 + [key] }
            case .literal(.int(let key)): return accessPath(base).map { $0 + [String(key)] }
            default: return nil
            }
        default:
            return nil
        }
    }
}
