/// What is known, before any run, about a variable a template reads.
public indirect enum StaticValue: Sendable, Equatable {
    /// Defined, but what it holds is only known when the flow runs (an execution id, an output's vars).
    case unknown
    /// Known exactly, as a render will see it (the flow's `variables`, its labels).
    case known(TemplateValue)
    /// A map whose keys are all known, though not always their values; `absent` says why some names are not there
    /// (a task that runs later than the one rendered, for `outputs`).
    case keys([String: StaticValue], absent: [String: String] = [:])
}

/// The variables a template may read where it is rendered, for `Template.check(in:secrets:)`.
public struct TemplateScope: Sendable {
    /// The root variables, by name.
    public var variables: [String: StaticValue]
    /// Root names known not to be defined here, each with why (`outputDir` when the output directory is off).
    public var absent: [String: String]

    /// A scope of `variables`; `absent` gives reasons for names that are not among them.
    public init(variables: [String: StaticValue], absent: [String: String] = [:]) {
        self.variables = variables
        self.absent = absent
    }
}
