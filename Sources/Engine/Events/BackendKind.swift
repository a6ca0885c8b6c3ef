import Foundation

/// Which kind of Google endpoint an execution talks to, recorded in `ExecutionStarted.backend` by its lower-case
/// name (the raw value).
public enum BackendKind: String, Codable, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The embedded LocalCloud emulator that the CLI starts in its own process (`run --local`).
    case local
    /// A standalone emulator or proxy at `Backend.endpoint`.
    case endpoint
    /// Google Cloud itself.
    case google
    /// Decision replay: answers come from the recorded events, nothing is called.
    case replay

    public var description: String { rawValue }
}
