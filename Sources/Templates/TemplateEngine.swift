/// One-call rendering for flow properties: the entry point of the `Templates` module.
///
/// How the pieces fit:
/// 1. Build the variables with `RunVariables` (flow, execution, task, taskrun, inputs, outputs, vars, labels,
///    envs, workingDir/outputDir/bucketPath) and a `SecretStore` from the environment and `--secrets-file`.
/// 2. `TemplateEngine.render(property, origin: positionOfTheYAMLScalar, context:)` for each property. A string
///    without `{` comes back untouched; others are parsed (errors carry `file:line:column`) and rendered once.
/// 3. Pass `RenderedString.text` to the task; log only `masked` (or run any text through `masker`, merged over all
///    properties of the task with `SecretMasker.merging`); record `secretUses` (name + a keyed digest) in the ledger.
///
/// The language is Pebble's as Kestra configures it: strict variables, no auto-escaping, `{% raw %}`, JSON
/// printing of lists and maps, `??` and `is defined` as the ways to tolerate a missing value.
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
