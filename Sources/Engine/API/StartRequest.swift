import Foundation
import Templates

/// What starting an execution needs: the flow, its inputs and secrets, where it runs and where its files go.
public struct StartRequest: Sendable {
    public var flow: LoadedFlow
    /// Raw input values by name (`--input NAME=VALUE`), typed and checked against the flow's inputs.
    public var inputs: [String: String]
    public var secrets: SecretStore
    /// Where the execution runs: `local`, `endpoint` (with its base URL) or `google`, resolved by the engine's
    /// `TargetResolver`.
    public var backend: Backend
    /// Output files go under `<outputDirectory>/<executionId>/<taskRunId>/`.
    public var outputDirectory: URL
    /// Where namespace files come from, when the flow has any.
    public var namespaceFilesDirectory: URL?
    /// The new execution's id; nil for a fresh random one. A host that wants to `kill` it before `start` returns
    /// gives one (`Engine.newExecutionID()`).
    public var executionId: String?
    /// Who asks (a server's caller), recorded in `ExecutionStarted`; nil for a command line.
    public var requestedBy: String?
    /// Labels besides the flow's (a request's win over the flow's of the same key).
    public var labels: [String: String]
    /// The revision of the flow in the host's flow library, recorded instead of the one the YAML names.
    public var flowRevision: Int?
    /// Count the ledger's interrupted executions first and report them (`interruptedExecutionsFound`), as a
    /// command line does to suggest `recover`. A server that recovers them itself leaves it off: the count
    /// reads every execution's summary.
    public var reportsInterruptedExecutions = true
    /// The `trigger` variables of an execution a schedule trigger starts (`date`, `next`, `previous`, RFC 3339).
    public var trigger: [String: String]?
    /// The files of FILE inputs, by input.
    public var files: [String: InputFileSource] = [:]

    public init(
        flow: LoadedFlow, inputs: [String: String], secrets: SecretStore, backend: Backend, outputDirectory: URL,
        namespaceFilesDirectory: URL? = nil, executionId: String? = nil, requestedBy: String? = nil,
        labels: [String: String] = [:], flowRevision: Int? = nil
    ) {
        self.requestedBy = requestedBy
        self.labels = labels
        self.flowRevision = flowRevision
        self.flow = flow
        self.inputs = inputs
        self.secrets = secrets
        self.backend = backend
        self.outputDirectory = outputDirectory
        self.namespaceFilesDirectory = namespaceFilesDirectory
        self.executionId = executionId
    }
}

/// What forking an execution needs: the parent, where to run again from, and the secrets; optionally new inputs
/// and another revision of the flow.
public struct ForkRequest: Sendable {
    public var parent: String
    /// What runs again: a task anywhere in the flow (with what follows it), or one ForEach iteration `task[value]`;
    /// every other task run keeps the parent's outcome.
    public var fromTask: String
    /// Input values that replace the parent's (text, as `--input` gives them).
    public var inputs: [String: String] = [:]
    /// Files that replace the parent's FILE inputs.
    public var files: [String: InputFileSource] = [:]
    /// Another revision of the parent's flow to run (nil: the parent's own text).
    public var flow: LoadedFlow?
    /// The revision of `flow` in a host's flow library, recorded instead of the one its YAML names.
    public var flowRevision: Int?
    public var secrets: SecretStore
    /// Where the fork runs; nil for where the parent ran.
    public var backend: Backend?
    /// Fork a parent loaded with `import` too (its flow and folders are whatever the export says).
    public var includeImported: Bool
    /// The new execution's id; nil for a fresh random one.
    public var executionId: String?
    /// Who asks (a server's caller), recorded in the fork's `ExecutionStarted` and the parent's `ExecutionForked`.
    public var requestedBy: String?

    public init(
        parent: String, fromTask: String, secrets: SecretStore, backend: Backend? = nil, includeImported: Bool = false,
        executionId: String? = nil, requestedBy: String? = nil
    ) {
        self.requestedBy = requestedBy
        self.parent = parent
        self.fromTask = fromTask
        self.secrets = secrets
        self.backend = backend
        self.includeImported = includeImported
        self.executionId = executionId
    }
}

/// What resuming interrupted executions needs.
public struct RecoveryRequest: Sendable {
    public var secrets: SecretStore
    /// Drive executions loaded with `import` too; without it they are refused (`RecoveryOutcome.refusedImported`).
    public var includeImported: Bool
    /// The most executions driven at once.
    public var concurrency: Int

    public init(secrets: SecretStore, includeImported: Bool = false, concurrency: Int = 512) {
        self.secrets = secrets
        self.includeImported = includeImported
        self.concurrency = max(1, concurrency)
    }
}
