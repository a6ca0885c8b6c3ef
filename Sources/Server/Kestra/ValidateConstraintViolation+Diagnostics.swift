import Flows

extension Kestra.ValidateConstraintViolation {
    /// The result of validating document `index`: its errors, one `FILE:LINE:COLUMN: message` per line, in
    /// `constraints` (nil when there are none), and its warnings, each at its place.
    public init(index: Int, result: FlowParseResult) {
        let diagnostics = result.diagnostics.sortedByPosition()
        let errors = diagnostics.filter { $0.severity == .error }
        self.init(
            index: index, flow: result.flow?.id.value, namespace: result.flow?.namespace.value,
            constraints: errors.isEmpty ? nil : errors.map(\.description).joined(separator: "\n"),
            warnings: diagnostics.filter { $0.severity == .warning }.map(\.description))
    }
}
