/// One-call rendering for flow properties.
public enum TemplateEngine {
    /// Renders `string` if it contains `{`; otherwise returns it untouched (Kestra does not even parse it).
    public static func render(_ string: String, origin: SourceLocation, context: TemplateContext)
        throws(TemplateError) -> RenderedString
    {
        guard string.contains("{") else { return RenderedString(plain: string) }
        return try Template.parse(string, origin: origin, limits: context.limits).render(in: context)
    }

    /// Whether `string` would be rendered at all (it contains `{`).
    public static func needsRendering(_ string: String) -> Bool {
        string.contains("{")
    }
}
