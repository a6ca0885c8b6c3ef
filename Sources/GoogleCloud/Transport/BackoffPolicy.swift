import Foundation

/// Truncated exponential backoff with full jitter, as Google's client libraries do: the n-th wait is a random
/// duration in `0 ... min(initial × multiplier^n, maximum)`, or the server's `Retry-After` when it gives one,
/// bounded by a number of attempts and by an overall deadline.
public struct BackoffPolicy: Sendable {
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var multiplier: Double
    public var maximumDelay: Duration
    /// No new attempt starts later than this after the first.
    public var deadline: Duration
    public var retryableStatuses: Set<Int>

    public init(
        maxAttempts: Int = 6, initialDelay: Duration = .seconds(1), multiplier: Double = 2,
        maximumDelay: Duration = .seconds(32), deadline: Duration = .seconds(120),
        retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]
    ) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
        self.deadline = deadline
        self.retryableStatuses = retryableStatuses
    }

    /// One attempt and no retry.
    public static let none = BackoffPolicy(maxAttempts: 1)

    /// The wait before retry number `retry` (0 for the first retry).
    public func delay(beforeRetry retry: Int, retryAfter: Duration?, using generator: inout some RandomNumberGenerator)
        -> Duration
    {
        if let retryAfter { return min(retryAfter, maximumDelay) }
        let cap = min(initialDelay.seconds * pow(multiplier, Double(retry)), maximumDelay.seconds)
        return .seconds(Double.random(in: 0...cap, using: &generator))
    }

    /// Parses `Retry-After` given in seconds (the HTTP-date form is rare on Google APIs and is ignored).
    static func retryAfter(_ header: String?) -> Duration? {
        guard let header, let seconds = Double(header.trimmingCharacters(in: .whitespaces)), seconds >= 0 else {
            return nil
        }
        return .seconds(seconds)
    }
}

/// One retry about to happen, reported to the caller so that it can be recorded.
public struct RetryEvent: Sendable, Equatable {
    /// "Batch jobs.get projects/p/locations/l/jobs/j" and the like.
    public var call: String
    /// The attempt that failed (1 for the first).
    public var failedAttempt: Int
    /// The HTTP status, or nil for a transport failure.
    public var status: Int?
    public var reason: String
    public var delay: Duration
}

/// Receives retry events, before the wait; an error it throws ends the call with that error.
public typealias RetryObserver = @Sendable (RetryEvent) async throws -> Void

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
