import Clocks
import Foundation
import GoogleCloud
import Ledger
import Templates

/// Where an execution acts: the backend it records, and the world (Google, an endpoint that speaks Google's
/// APIs, or a recorded history) that answers.
public struct CloudTarget: Sendable {
    public var backend: Backend
    public var world: any CloudWorld
    /// How often to poll and how long to wait there (a flow's own intervals win where it sets them).
    public var timing: Timing

    public init(backend: Backend, world: any CloudWorld, timing: Timing) {
        self.backend = backend
        self.world = world
        self.timing = timing
    }

    /// Google's APIs at `endpoints` (Google's own, or an emulator's): tasks without a `serviceAccount` use
    /// `defaultCredentials` (nil: they cannot run, and say why).
    public static func google(
        backend: Backend, endpoints: GoogleEndpoints, defaultCredentials: (any AccessTokenProvider)?,
        transport: any HTTPTransport, timing: Timing, clock: AnyClock<Duration> = .continuous
    ) -> CloudTarget {
        CloudTarget(
            backend: backend,
            world: GoogleWorld(
                endpoints: endpoints, transport: transport, defaultCredentials: defaultCredentials, timing: timing,
                clock: clock),
            timing: timing)
    }

    /// A human description for the first line of a run.
    public var summary: String {
        switch backend.kind {
        case .local: return "Google Batch (local emulator at \(backend.endpoint ?? "?"))"
        case .endpoint: return "Google Batch API at \(backend.endpoint ?? "?")"
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
    /// The recorded end of each Subflow task run's child (task run → child execution id and its final state),
    /// which decision replay gives instead of running the child again.
    public var recordedChildren: [String: (executionId: String, state: ExecutionState)]?
    /// Shared by the executions one `recover` resumes: one `jobs.list` per location instead of a `jobs.get` per job.
    public var jobDirectory: JobDirectory?
    /// Shared by the executions one `recover` resumes: their jobs are watched together.
    public var sharedServices: ServiceRegistry?
    /// Who asked for this start or fork (a server's caller), recorded in `ExecutionStarted` and `ExecutionForked`.
    public var requestedBy: String?
    /// The `trigger` variables of an execution a schedule trigger starts.
    public var trigger: [String: String]?
    /// Labels recorded besides the flow's (winning over the flow's of the same key).
    public var labels: [String: String] = [:]
    /// The flow's revision in a host's flow library, recorded instead of the one its YAML names.
    public var flowRevision: Int?

    /// How often to poll and how long to wait: the target's.
    public var timing: Timing { target.timing }
    /// The clock of every wait, deadline, backoff and lease heartbeat of the engine.
    public var clock: AnyClock<Duration>

    public init(
        target: CloudTarget, secrets: SecretStore, environment: [String: String], outputDirectory: URL,
        namespaceFilesDirectory: URL?, maxStoredLogBytes: Int = 64 << 20, spotAttemptsBeforeStandard: Int = 2,
        observer: (@Sendable (ExecutionEvent, ExecutionState) -> Void)? = nil,
        notice: @escaping @Sendable (String) -> Void = { _ in }, clock: AnyClock<Duration> = .continuous
    ) {
        self.clock = clock
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
