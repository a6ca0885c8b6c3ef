import Foundation
import Ledger

/// The "interrupted" rule: an execution is interrupted when it started and has not ended (its summary says
/// RUNNING), whatever stopped its process. `recover` resumes these, oldest first; a given-up execution ended
/// FAILED, so it is no longer one of them.
public enum InterruptedExecutions {
    /// The interrupted executions in `store`, oldest start first.
    public static func ids(in store: EventStore) throws -> [String] {
        try summaries(in: store).sorted { ($0.startedAt ?? "") < ($1.startedAt ?? "") }.map(\.executionId)
    }

    /// How many executions in `store` are interrupted.
    public static func count(in store: EventStore) throws -> Int {
        try summaries(in: store).count
    }

    /// A Subflow's child whose parent is interrupted too is left to the parent, which resumes it as its task.
    private static func summaries(in store: EventStore) throws -> [ExecutionSummaryProjection.State] {
        let running = try store.cachedStates(ExecutionSummaryProjection.self).values.filter { $0.state == .running }
        let ids = Set(running.map(\.executionId))
        return running.filter { summary in summary.parentExecutionId.map { !ids.contains($0) } ?? true }
    }
}
