/// An error inside one template, positioned in template coordinates; `Template` turns it into a `TemplateError`
/// in file coordinates.
struct TemplateFailure: Error {
    var kind: TemplateError.Kind
    var position: TemplatePosition
    var message: String

    init(_ kind: TemplateError.Kind, at position: TemplatePosition, _ message: String) {
        self.kind = kind
        self.position = position
        self.message = message
    }

    func located(in origin: SourceLocation) -> TemplateError {
        TemplateError(kind, at: origin.advanced(by: position), message)
    }
}
