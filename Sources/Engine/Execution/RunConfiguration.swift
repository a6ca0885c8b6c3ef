import Foundation
import GoogleCloud
import Ledger
import Templates

/// How the engine reaches Google (or an emulator) and how fast it polls.
public struct CloudTarget: Sendable {
    public var backend: Backend
    public var endpoints: GoogleEndpoints
    /// True for LocalCloud and other emulators: without a `serviceAccount`, calls are anonymous.
    public var emulated: Bool
    /// Application Default Credentials, for tasks without `serviceAccount` on Google.
    public var defaultCredentials: (any AccessTokenProvider)?
    public var transport: any HTTPTransport
    /// The fast polling profile (emulators) or Google's.
    public var fastPolling: Bool

    public init(
        backend: Backend, endpoints: GoogleEndpoints, emulated: Bool, defaultCredentials: (any AccessTokenProvider)?,
        transport: any HTTPTransport, fastPolling: Bool
    ) {
        self.backend = backend
        self.endpoints = endpoints
        self.emulated = emulated
        self.defaultCredentials = defaultCredentials
        self.transport = transport
        self.fastPolling = fastPolling
    }

    /// A human description for the first line of a run.
    public var summary: String {
        switch backend.kind {
        case "local": return "Google Batch (local emulator at \(backend.endpoint ?? "?"))"
        case "endpoint": return "Google Batch API at \(backend.endpoint ?? "?")"
        default: return "Google Cloud Batch"
        }
    }
}

/// Everything a run needs besides the flow.
public struct RunConfiguration: Sendable {
    public var target: CloudTarget
    public var secrets: SecretStore
    /// The process environment (for `envs`).
    public var environment: [String: String]
    /// Output files go under `<outputDirectory>/<executionId>/<taskRunId>/`.
    public var outputDirectory: URL
    /// Where namespace files come from (`--namespace-files`, or `./namespaces/<namespace>/`).
    public var namespaceFilesDirectory: URL?
    /// Log bytes stored per execution before lines are only counted.
    public var maxStoredLogBytes: Int
    /// Extra SPOT attempts after preemptions before falling back to STANDARD.
    public var spotAttemptsBeforeStandard: Int
    /// Called with every event recorded, for display.
    public var observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)?
    /// Tells the user things that are not events (a missing namespace folder, a cap reached).
    public var notice: @Sendable (String) -> Void
    /// Names an attempt takes instead of fresh random ones (decision replay gives the recorded ones):
    /// (task run, attempt) → (working-directory id, request id).
    public var recordedNames: (@Sendable (String, Int) -> (workingDirId: String, requestId: String)?)?

    public init(
        target: CloudTarget, secrets: SecretStore, environment: [String: String], outputDirectory: URL,
        namespaceFilesDirectory: URL?, maxStoredLogBytes: Int = 64 << 20, spotAttemptsBeforeStandard: Int = 2,
        observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)? = nil,
        notice: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.target = target
        self.secrets = secrets
        self.environment = environment
        self.outputDirectory = outputDirectory
        self.namespaceFilesDirectory = namespaceFilesDirectory
        self.maxStoredLogBytes = maxStoredLogBytes
        self.spotAttemptsBeforeStandard = spotAttemptsBeforeStandard
        self.observer = observer
        self.notice = notice
    }
}

/// A flow that cannot run as written, with every problem in `FILE:LINE:COLUMN: message` form.
public struct FlowProblems: Error, Sendable, CustomStringConvertible {
    public var problems: [String]

    public init(_ problems: [String]) {
        self.problems = problems
    }

    public var description: String { problems.joined(separator: "\n") }
}
