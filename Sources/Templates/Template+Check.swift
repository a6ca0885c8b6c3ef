extension Template {
    /// The problems a render of this template would meet where `scope` describes its variables, found without
    /// rendering: undefined variables, unknown filters, functions and tests, and, with `secrets`, secrets that are
    /// not defined. Every problem is reported (a render stops at the first), each at its file position; none
    /// carries a secret's value.
    public func check(in scope: TemplateScope, secrets: SecretStore? = nil) -> [TemplateError] {
        let checker = TemplateChecker(scope: scope, secrets: secrets)
        checker.check(nodes)
        return checker.failures.map { $0.located(in: origin) }
    }
}
