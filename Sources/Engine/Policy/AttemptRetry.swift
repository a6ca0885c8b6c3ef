import Flows
import Foundation
import GoogleCloud

/// What follows a failed attempt of a script task: another attempt (after a wait, on a provisioning model) or
/// none. Two rules meet here: a SPOT or PREEMPTIBLE job that Batch preempted is retried at once, and after
/// `spotAttemptsBeforeStandard` preemptions on STANDARD VMs, whatever the task's `retry` says; any other failure
/// is retried only as the task's `retry` allows.
struct AttemptRetry: Equatable {
    /// The wait before the next attempt, or nil when no attempt follows.
    var delay: Duration?
    /// The provisioning model of the next attempt.
    var provisioning: GoogleCloud.ProvisioningModel
    /// Preemptions counted so far, this attempt's included.
    var spotPreemptions: Int

    /// Batch's exit code for a task whose VM was preempted.
    static let preemptedExitCode = 50001

    /// How many of `attempts` Batch preempted.
    static func preemptions(in attempts: [AttemptState]) -> Int {
        attempts.filter { $0.exitCode == preemptedExitCode }.count
    }

    /// The provisioning model of the first attempt this process makes: the one `requested` (by the flow, or
    /// recorded by the attempt being resumed), unless earlier attempts were preempted more often than allowed.
    static func provisioning(
        requested: GoogleCloud.ProvisioningModel, spotPreemptions: Int, spotAttemptsBeforeStandard: Int
    ) -> GoogleCloud.ProvisioningModel {
        spotPreemptions > spotAttemptsBeforeStandard ? .standard : requested
    }

    /// What follows attempt number `attempt`, which failed (`preempted` when Batch preempted its VM) after
    /// `elapsed` since the task run's first attempt began.
    static func afterFailure(
        preempted: Bool, provisioning: GoogleCloud.ProvisioningModel, spotPreemptions: Int,
        spotAttemptsBeforeStandard: Int, retry: Flows.RetryPolicy?, attempt: Int, elapsed: Duration,
        using generator: inout some RandomNumberGenerator
    ) -> AttemptRetry {
        if preempted && provisioning != .standard && spotPreemptions < spotAttemptsBeforeStandard + 1 {
            let count = spotPreemptions + 1
            return AttemptRetry(
                delay: .zero, provisioning: count > spotAttemptsBeforeStandard ? .standard : provisioning,
                spotPreemptions: count)
        }
        return AttemptRetry(
            delay: delay(retry, attempt: attempt, elapsed: elapsed, using: &generator), provisioning: provisioning,
            spotPreemptions: spotPreemptions)
    }

    /// `afterFailure` with the system's random source (for `random` retries).
    static func afterFailure(
        preempted: Bool, provisioning: GoogleCloud.ProvisioningModel, spotPreemptions: Int,
        spotAttemptsBeforeStandard: Int, retry: Flows.RetryPolicy?, attempt: Int, elapsed: Duration
    ) -> AttemptRetry {
        var generator = SystemRandomNumberGenerator()
        return afterFailure(
            preempted: preempted, provisioning: provisioning, spotPreemptions: spotPreemptions,
            spotAttemptsBeforeStandard: spotAttemptsBeforeStandard, retry: retry, attempt: attempt, elapsed: elapsed,
            using: &generator)
    }

    /// The wait before the next attempt under the task's `retry`, or nil when it allows no more: none without a
    /// policy, none once `maxAttempts` attempts were made or `maxDuration` has passed.
    static func delay(
        _ policy: Flows.RetryPolicy?, attempt: Int, elapsed: Duration, using generator: inout some RandomNumberGenerator
    ) -> Duration? {
        guard let policy else { return nil }
        if let max = policy.maxAttempts?.value, attempt >= max { return nil }
        if let limit = policy.maxDuration?.value, elapsed >= limit.duration { return nil }
        switch policy.kind {
        case .constant(let interval):
            return interval.value.duration
        case .exponential(let interval, let maxInterval, let factor):
            let base = interval.value.seconds * pow(factor?.value ?? 2, Double(attempt - 1))
            return .seconds(min(base, maxInterval.value.seconds))
        case .random(let low, let high):
            return .seconds(
                Double.random(in: low.value.seconds...max(low.value.seconds, high.value.seconds), using: &generator))
        }
    }
}
