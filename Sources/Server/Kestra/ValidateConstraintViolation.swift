extension Kestra {
    /// The result of validating one flow document (`POST /flows/validate` answers one per `---` document).
    public struct ValidateConstraintViolation: Codable, Sendable, Equatable {
        /// The document's position, from 0.
        public var index: Int
        /// The flow id, when the document got that far.
        public var flow: String?
        public var namespace: String?
        /// Every error, one per line, each `FILE:LINE:COLUMN: message`; nil when the flow is valid.
        public var constraints: String?
        public var outdated: Bool
        /// Warnings, each `FILE:LINE:COLUMN: message`.
        public var warnings: [String]

        public init(
            index: Int, flow: String? = nil, namespace: String? = nil, constraints: String? = nil,
            outdated: Bool = false, warnings: [String] = []
        ) {
            self.index = index
            self.flow = flow
            self.namespace = namespace
            self.constraints = constraints
            self.outdated = outdated
            self.warnings = warnings
        }
    }
}
