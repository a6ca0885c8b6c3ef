/// Collects diagnostics while a flow is read; the parser never stops at the first problem.
struct DiagnosticSink {
    private(set) var diagnostics: [FlowDiagnostic] = []

    mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(FlowDiagnostic(message, at: location, severity: .error))
    }

    mutating func warning(_ message: String, at location: SourceLocation) {
        diagnostics.append(FlowDiagnostic(message, at: location, severity: .warning))
    }

    mutating func append(contentsOf other: [FlowDiagnostic]) {
        diagnostics.append(contentsOf: other)
    }
}
