import Foundation
import GoogleCloud
import Ledger

/// How often the engine asks and how long it waits: explicit configuration, the same whatever the endpoint.
/// A flow's `completionCheckInterval` and `waitForLogInterval` win over the defaults here when the flow sets them.
public struct Timing: Sendable, Equatable {
    /// The first wait between polls of a job, for tasks that leave `completionCheckInterval` at its default.
    public var checkInterval: Duration
    /// Polls back off (×1.5) up to this, for tasks that leave `completionCheckInterval` at its default.
    public var maximumCheckInterval: Duration
    /// How long to keep reading a finished job's late log lines, for tasks that leave `waitForLogInterval` at
    /// its default.
    public var logGrace: Duration
    /// The client-side deadline of an attempt is its timeout plus this margin (Batch enforces the timeout itself).
    public var timeoutMargin: Duration
    /// Retries of failed API calls.
    public var callRetry: BackoffPolicy
    /// `entries.list` calls per minute per project (Cloud Logging's quota is 60).
    public var logReadsPerMinute: Int
    /// One `jobs.list` round per location at most this often, however many jobs are watched.
    public var minimumRoundInterval: Duration
    /// How often the lease of a driven execution is renewed (nil: never, for a ledger no one else reads).
    public var leaseHeartbeat: Duration? = .seconds(2)
    /// How long after its last heartbeat a lease held by a process of another host (or one whose liveness this
    /// host cannot see) expires and may be taken over, in seconds.
    public var leaseTTL: Double = EventStore.leaseTTL

    /// Sets the lease TTL to `seconds`, with a heartbeat a third of it (at most 2 s), so that two heartbeats may
    /// be missed before the lease expires.
    public mutating func setLeaseTTL(_ seconds: Double) {
        leaseTTL = seconds
        if leaseHeartbeat != nil {
            leaseHeartbeat = min(.seconds(2), .milliseconds(Int64(seconds * 1000 / 3)))
        }
    }

    public init(
        checkInterval: Duration, maximumCheckInterval: Duration, logGrace: Duration, timeoutMargin: Duration,
        callRetry: BackoffPolicy, logReadsPerMinute: Int, minimumRoundInterval: Duration
    ) {
        self.checkInterval = checkInterval
        self.maximumCheckInterval = maximumCheckInterval
        self.logGrace = logGrace
        self.timeoutMargin = timeoutMargin
        self.callRetry = callRetry
        self.logReadsPerMinute = logReadsPerMinute
        self.minimumRoundInterval = minimumRoundInterval
    }

    /// Kestra's defaults and Google's quotas: polls every 5 s backing off to 30 s, 5 s for late logs, 55 log
    /// reads a minute per project.
    public static let standard = Timing(
        checkInterval: .seconds(5), maximumCheckInterval: .seconds(30), logGrace: .seconds(5),
        timeoutMargin: .seconds(120), callRetry: BackoffPolicy(), logReadsPerMinute: 55,
        minimumRoundInterval: .seconds(2))

    /// For an endpoint that answers at once and has no quotas (the embedded emulator by default, or a standalone
    /// one when asked): polls every 20 ms up to 100 ms, no log grace, quick retries.
    public static let responsive = Timing(
        checkInterval: .milliseconds(20), maximumCheckInterval: .milliseconds(100), logGrace: .zero,
        timeoutMargin: .seconds(5),
        callRetry: BackoffPolicy(
            maxAttempts: 8, initialDelay: .milliseconds(100), maximumDelay: .seconds(2), deadline: .seconds(60)),
        logReadsPerMinute: 100_000, minimumRoundInterval: .milliseconds(20))

    /// `standard` or `responsive`, by name.
    public static func named(_ name: String) -> Timing? {
        switch name {
        case "standard": return .standard
        case "responsive": return .responsive
        default: return nil
        }
    }

    /// The polling and log-grace intervals of a task: the flow's values where it sets them, these defaults where
    /// it does not.
    func intervals(checkInterval: Duration?, waitForLog: Duration?) -> (
        first: Duration, maximum: Duration, logGrace: Duration
    ) {
        if let checkInterval {
            return (checkInterval, max(checkInterval, .seconds(30)), waitForLog ?? logGrace)
        }
        return (self.checkInterval, maximumCheckInterval, waitForLog ?? logGrace)
    }
}

extension BackoffPolicy: Equatable {
    public static func == (lhs: BackoffPolicy, rhs: BackoffPolicy) -> Bool {
        lhs.maxAttempts == rhs.maxAttempts && lhs.initialDelay == rhs.initialDelay && lhs.multiplier == rhs.multiplier
            && lhs.maximumDelay == rhs.maximumDelay && lhs.deadline == rhs.deadline
            && lhs.retryableStatuses == rhs.retryableStatuses
    }
}
