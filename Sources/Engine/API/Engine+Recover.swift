import Foundation
import Ledger

extension Engine {
    /// The executions a crash or a kill interrupted (started, not ended), oldest first: what `recoverAll` resumes.
    public func interruptedExecutions() throws(EngineFailure) -> [String] {
        let store = try ledger.store(.existing)
        do {
            return try InterruptedExecutions.ids(in: store)
        } catch {
            throw EngineFailure(error)
        }
    }

    /// Resumes `executionIds` from the ledger, several at once, each on the target its start recorded, every
    /// interrupted step reconciled with Batch and Cloud Storage before it continues. One outcome per execution
    /// (a failure is an outcome, recorded in the ledger; after `ExecutionRunner.recoveryFailureCap` of them the
    /// execution is given up as FAILED). Throws only when the ledger cannot be opened or read.
    public func resume(_ executionIds: [String], _ request: RecoveryRequest, observer: EngineObserver = .silent)
        async throws(EngineFailure) -> RecoveryReport
    {
        let store = try ledger.store(.existing)
        let recovery = Recovery(
            store: store, targets: targets, environment: environment, request: request, observer: observer,
            running: running, shared: shared)
        do {
            return try await recovery.run(executionIds)
        } catch {
            throw EngineFailure(error)
        }
    }

    /// Resumes every interrupted execution (`interruptedExecutions()`).
    public func recoverAll(_ request: RecoveryRequest, observer: EngineObserver = .silent) async throws(EngineFailure)
        -> RecoveryReport
    {
        try await resume(try interruptedExecutions(), request, observer: observer)
    }
}
