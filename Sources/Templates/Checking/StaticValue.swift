/// What is known, before any run, about a variable a template reads.
public indirect enum StaticValue: Sendable, Equatable {
    /// Defined, but what it holds is only known when the flow runs (an execution id, an output's vars).
    case unknown
    /// Known exactly, as a render will see it (the flow's `variables`, its labels).
    case known(TemplateValue)
    /// A map whose keys are all known, though not always their values; `absent` says why some names are not there
    /// (a task that runs later than the one rendered, for `outputs`).
    case keys([String: StaticValue], absent: AbsentNames = [:])
}

/// Why names are missing from a map or a scope: given up front, or worked out only for a name a template reads
/// (a flow of many tasks would otherwise explain every task to every other).
public struct AbsentNames: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private let given: [String: String]
    private let explain: (@Sendable (String) -> String?)?

    /// Reasons known up front, by name.
    public init(_ given: [String: String]) {
        self.given = given
        self.explain = nil
    }

    /// Reasons from a dictionary literal.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(Dictionary(elements) { first, _ in first })
    }

    /// Reasons worked out on demand (nil: no reason known for that name).
    public init(explaining explain: @escaping @Sendable (String) -> String?) {
        self.given = [:]
        self.explain = explain
    }

    /// Why `name` is missing, if known.
    public func reason(for name: String) -> String? {
        given[name] ?? explain?(name)
    }

    /// Equal when the reasons given up front are (those worked out on demand are not compared).
    public static func == (lhs: AbsentNames, rhs: AbsentNames) -> Bool { lhs.given == rhs.given }
}

/// The variables a template may read where it is rendered, for `Template.check(in:secrets:)`.
public struct TemplateScope: Sendable {
    /// The root variables, by name.
    public var variables: [String: StaticValue]
    /// Root names known not to be defined here, each with why (`outputDir` when the output directory is off).
    public var absent: AbsentNames

    /// A scope of `variables`; `absent` gives reasons for names that are not among them.
    public init(variables: [String: StaticValue], absent: AbsentNames = [:]) {
        self.variables = variables
        self.absent = absent
    }
}
