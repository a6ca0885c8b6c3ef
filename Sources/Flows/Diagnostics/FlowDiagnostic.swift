/// One problem found in a flow file, with the place it is at.
///
/// `description` is `FILE:LINE:COLUMN: message` (warnings add `warning: ` before the message), the line
/// `batchledger validate` prints.
public struct FlowDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How serious a problem is. Only errors make a flow invalid.
    public enum Severity: String, Sendable, Hashable {
        /// The flow cannot be run as written.
        case error
        /// The flow runs, but probably not as the author meant.
        case warning
    }

    /// Where the problem is.
    public var location: SourceLocation
    /// What is wrong and, where possible, how to fix it.
    public var message: String
    /// Error or warning.
    public var severity: Severity

    /// Creates a diagnostic.
    public init(_ message: String, at location: SourceLocation, severity: Severity = .error) {
        self.location = location
        self.message = message
        self.severity = severity
    }

    /// `FILE:LINE:COLUMN: message`.
    public var description: String {
        switch severity {
        case .error: return "\(location): \(message)"
        case .warning: return "\(location): warning: \(message)"
        }
    }
}

extension Array where Element == FlowDiagnostic {
    /// Sorted by position (file, line, column), then by message, so output is stable; exact repeats
    /// (a plugin default applied to several tasks fails the same way for each) are kept once.
    public func sortedByPosition() -> [FlowDiagnostic] {
        var result: [FlowDiagnostic] = []
        for diagnostic in sorted(by: { ($0.location, $0.message) < ($1.location, $1.message) })
        where result.last != diagnostic {
            result.append(diagnostic)
        }
        return result
    }

    /// True when at least one diagnostic is an error.
    public var containsErrors: Bool { contains { $0.severity == .error } }
}
