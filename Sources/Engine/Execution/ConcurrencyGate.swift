import Flows
import Foundation
import Ledger

extension ExecutionContext {
    /// Holds the execution at its flow's `concurrency` limit before any task runs: the executions of the flow that
    /// have not ended and are not queued themselves hold the slots (read from the ledger, so executions of other
    /// processes count too). Past the limit, QUEUE records `ConcurrencyQueued` and polls the ledger on the
    /// engine's clock until a slot is free (`ConcurrencySlotTaken`); CANCEL and FAIL record `ConcurrencyRefused` and
    /// return the state the execution ends in. A decision already recorded (a resumed or replayed execution) stands.
    func awaitConcurrencySlot() async throws -> RunState? {
        guard let concurrency = flow.concurrency else { return nil }
        let recorded = await recorder.state
        switch recorded.concurrency {
        case .refusedCancelled?: return .cancelled
        case .refusedFailed?: return .failed
        case .running?: return nil
        case .queued?, nil: break
        }
        var queued = recorded.concurrency == .queued
        if !queued && recovering && !recorded.taskRuns.isEmpty {
            // It started its tasks before: it held a slot then, and holds it still.
            return nil
        }
        let limit = concurrency.limit.value
        while true {
            try Task.checkCancellation()
            let running = try holders()
            if running.count < limit {
                if queued {
                    try await recorder.record(.concurrencySlotTaken(ConcurrencySlotTaken(running: running)))
                }
                return nil
            }
            switch concurrency.behavior.value {
            case .cancel, .fail:
                try await recorder.record(
                    .concurrencyRefused(
                        ConcurrencyRefused(
                            behavior: concurrency.behavior.value.rawValue, limit: limit, running: running)))
                return concurrency.behavior.value == .fail ? .failed : .cancelled
            case .queue:
                if !queued {
                    try await recorder.record(.concurrencyQueued(ConcurrencyQueued(limit: limit, running: running)))
                    queued = true
                }
                try await configuration.clock.sleep(for: configuration.timing.checkInterval)
            }
        }
    }

    /// The other executions of this flow that hold a slot: not ended, not queued.
    private func holders() throws -> [String] {
        try recorder.store.cachedStates(ExecutionSummaryProjection.self).values
            .filter {
                $0.namespace == started.namespace && $0.flowId == started.flowId
                    && $0.executionId != started.executionId && !$0.state.isTerminal && $0.queued != true
                    && $0.state != .created
            }
            .sorted { ($0.startedAt ?? "", $0.executionId) < ($1.startedAt ?? "", $1.executionId) }
            .map(\.executionId)
    }
}
