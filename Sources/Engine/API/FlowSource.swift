import Flows

/// A flow file as a request gives it: where it came from (for FILE:LINE:COLUMN) and its text.
public struct FlowSource: Sendable, Equatable {
    /// The path diagnostics name (the file a CLI read, or any name a server gives an uploaded flow).
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// A flow that parsed and passed every check, with the source it came from.
public struct LoadedFlow: Sendable {
    public let source: FlowSource
    public let flow: Flow

    /// Parses and checks `source` (`FlowCheck`, without secrets: those are read when the run renders):
    /// `EngineFailure.invalidFlow` with every error, each at its FILE:LINE:COLUMN, when the flow cannot run (a
    /// disabled flow included).
    public init(_ source: FlowSource) throws(EngineFailure) {
        let result = FlowCheck.result(source: source.text, file: source.path)
        let errors = result.diagnostics.filter { $0.severity == .error }
        guard let flow = result.flow, errors.isEmpty else {
            if errors.isEmpty { throw .invalidRequest(["\(source.path): not a flow"]) }
            throw .invalidFlow(errors)
        }
        if flow.disabled.value {
            throw .invalidFlow([FlowDiagnostic("the flow is disabled (disabled: true)", at: flow.disabled.location)])
        }
        self.source = source
        self.flow = flow
    }

    /// True when a task runner names a `serviceAccount` (its key gives credentials of its own).
    public var hasServiceAccountKeys: Bool {
        flow.allTasks.contains { task in
            if case .script(let script) = task { return script.taskRunner?.serviceAccount != nil }
            return false
        }
    }
}
