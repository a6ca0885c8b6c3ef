import Foundation
import Ledger

/// What recovery did with one execution.
public struct RecoveryOutcome: Sendable {
    public enum Result: Sendable {
        /// Driven to its end (whatever state that is).
        case finished(ExecutionState)
        /// It had already ended; nothing to do.
        case alreadyTerminal(ExecutionState)
        /// Another live process drives it; left to it.
        case held(LeaseHolder)
        /// Recovery failed this time (recorded, the execution stays interrupted unless given up), or the
        /// execution is not in the ledger (`EngineFailure.noSuchExecution`).
        case failed(EngineFailure)
        /// Loaded with `import`, and the request did not say to drive it.
        case refusedImported(ImportOrigin)
    }

    public var executionId: String
    public var result: Result

    public init(executionId: String, result: Result) {
        self.executionId = executionId
        self.result = result
    }
}

/// What one recovery of several executions did.
public struct RecoveryReport: Sendable {
    /// One outcome per execution asked for, by execution id.
    public var outcomes: [RecoveryOutcome]
    /// How many executions were driven (the refused imported ones are not).
    public var driven: Int
    /// Batch calls made to reconcile (not to watch afterwards).
    public var jobsListCalls: Int
    public var jobsGetCalls: Int

    public init(outcomes: [RecoveryOutcome], driven: Int, jobsListCalls: Int, jobsGetCalls: Int) {
        self.outcomes = outcomes
        self.driven = driven
        self.jobsListCalls = jobsListCalls
        self.jobsGetCalls = jobsGetCalls
    }

    /// True when recovery failed for any execution.
    public var anyFailed: Bool {
        outcomes.contains { if case .failed = $0.result { return true } else { return false } }
    }

    /// True when an imported execution was left alone.
    public var anyRefused: Bool {
        outcomes.contains { if case .refusedImported = $0.result { return true } else { return false } }
    }
}
