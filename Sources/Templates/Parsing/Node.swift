/// A statement of a template: text, a `{{ }}` output, or a tag.
enum Node: Sendable {
    /// One branch of an `if`: its condition (nil for `else`) and body.
    struct Branch: Sendable {
        var condition: Expression?
        var body: [Node]
    }

    case text(String)
    case output(Expression)
    case conditional([Branch])
    case loop(
        variable: String, keyVariable: String?, iterable: Expression, body: [Node], emptyBody: [Node],
        position: TemplatePosition)
    case assignment(name: String, value: Expression)
}
