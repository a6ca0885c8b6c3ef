/// An expression of the template language, with the position of the token that starts it (or of its operator).
struct Expression: Sendable {
    /// A call argument: positional, or named (`date('yyyy', timeZone='UTC')`).
    struct Argument: Sendable {
        var name: String?
        var value: Expression
    }

    indirect enum Kind: Sendable {
        case literal(TemplateValue)
        case variable(String)
        case attribute(Expression, String)
        case subscripted(Expression, Expression)
        case list([Expression])
        case map([(key: Expression, value: Expression)])
        case unary(String, Expression)
        case binary(String, Expression, Expression)
        case ternary(Expression, Expression, Expression)
        case filter(Expression, name: String, arguments: [Argument])
        case test(Expression, name: String, arguments: [Argument], negated: Bool)
        case call(name: String, arguments: [Argument])
    }

    var kind: Kind
    var position: TemplatePosition
    /// Height of the expression tree: evaluation recursion is bounded by it.
    var depth: Int

    /// The dotted path of a variable access (`vars.region`, `outputs['t'].vars`), for error messages.
    var path: String {
        switch kind {
        case .variable(let name): return name
        case .attribute(let base, let name): return "\(base.path).\(name)"
        case .subscripted(let base, let index):
            switch index.kind {
            case .literal(.string(let key)): return "\(base.path)['\(key)']"
            case .literal(.int(let value)): return "\(base.path)[\(value)]"
            default: return "\(base.path)[…]"
            }
        case .call(let name, _): return "\(name)(…)"
        default: return "(expression)"
        }
    }
}
