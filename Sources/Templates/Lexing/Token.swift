/// One lexical token of a template.
struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        /// Literal text between tags (after trim markers were applied).
        case text(String)
        /// `{{`
        case printOpen
        /// `}}`
        case printClose
        /// `{%`
        case blockOpen
        /// `%}`
        case blockClose
        /// An identifier, keyword or word operator (`and`, `is`, `not`, …).
        case name(String)
        case string(String)
        case int(Int)
        case double(Double)
        /// Punctuation and symbolic operators: `(`, `.`, `==`, `??`, …
        case symbol(String)
        case end
    }

    var kind: Kind
    var position: TemplatePosition

    /// How the token reads in an error message.
    var displayText: String {
        switch kind {
        case .text: "text"
        case .printOpen: "'{{'"
        case .printClose: "'}}'"
        case .blockOpen: "'{%'"
        case .blockClose: "'%}'"
        case .name(let name): "'\(name)'"
        case .string: "a string"
        case .int(let value): "'\(value)'"
        case .double(let value): "'\(JavaNumberFormat.string(value))'"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "the end of the template"
        }
    }

    func isSymbol(_ symbol: String) -> Bool { kind == .symbol(symbol) }
    func isName(_ name: String) -> Bool { kind == .name(name) }
}
