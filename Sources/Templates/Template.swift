/// A parsed Pebble-compatible template, ready to render any number of times.
///
/// ```swift
/// let template = try Template.parse("gs://{{ vars.bucket }}/{{ execution.id }}", origin: location)
/// let rendered = try template.render(in: context)
/// ```
public struct Template: Sendable {
    /// Where the template's text starts in its flow file; errors are reported relative to it.
    public let origin: SourceLocation
    let nodes: [Node]

    /// Parses `source`, whose first character sits at `origin` in the flow file.
    public static func parse(
        _ source: String, origin: SourceLocation, limits: TemplateLimits = TemplateLimits()
    ) throws(TemplateError) -> Template {
        do {
            return Template(origin: origin, nodes: try Parser.parse(source, maxNesting: limits.maxNesting))
        } catch {
            throw error.located(in: origin)
        }
    }

    /// Renders the template once (the result is not rendered again, as in Kestra). Errors name the file position
    /// of the offending token; any secret resolved before the error is masked in its message.
    public func render(in context: TemplateContext) throws(TemplateError) -> RenderedString {
        let evaluator = Evaluator(context: context)
        var out = ""
        do {
            try evaluator.render(nodes, into: &out)
        } catch {
            var located = error.located(in: origin)
            let masker = SecretMasker(values: evaluator.secretsUsed.map(\.value))
            located.message = masker.mask(located.message)
            throw located
        }
        return RenderedString(text: out, secrets: evaluator.secretsUsed)
    }
}
