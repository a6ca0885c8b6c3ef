import Foundation
import Ledger
import Templates

/// What a decision replay found.
public enum ReplayCheck: Sendable {
    /// The engine makes every recorded decision again.
    case asRecorded(DecisionReplay.Report)
    /// The first step where the engine now decides differently.
    case diverged(DecisionReplay.Divergence)
}

extension Engine {
    /// One execution's events, each with the state change it made (read-only: nothing is created or written).
    public func timeline(of executionId: String) throws(EngineFailure) -> [Timeline.Step] {
        let store = try ledger.store(.readOnly)
        // The timeline's own fold reads (and checks) every event: a missing execution is found without a second.
        let version: Int64
        do {
            version = try store.currentVersion(of: executionId)
        } catch {
            throw EngineFailure(error)
        }
        guard version > 0 else { throw .noSuchExecution(id: executionId, ledger: store.name) }
        do {
            return try Timeline.steps(of: executionId, in: store)
        } catch {
            throw EngineFailure(error)
        }
    }

    /// Decision replay: runs the engine again over the recorded execution, every Google call answered from the
    /// ledger, and compares its decisions with the recorded ones. `secrets` must give the values the execution
    /// used (their digests are compared). A divergence is a result; a replay that cannot run is a failure.
    public func check(_ executionId: String, secrets: SecretStore) async throws(EngineFailure) -> ReplayCheck {
        // Existing and writable: a ledger from before keyed secret digests gets its digest key on first use.
        let store = try ledger.store(.existing)
        let version: Int64
        do {
            version = try store.currentVersion(of: executionId)
        } catch {
            throw EngineFailure(error)
        }
        guard version > 0 else { throw .noSuchExecution(id: executionId, ledger: store.name) }
        do {
            return .asRecorded(
                try await DecisionReplay.check(executionId, in: store, secrets: secrets, environment: environment))
        } catch let divergence as DecisionReplay.Divergence {
            return .diverged(divergence)
        } catch {
            throw EngineFailure(error)
        }
    }
}
