/// A task's `retry:` block, as Kestra's `constant`, `exponential` and `random` retry types.
///
/// Both `maxAttempts` (Kestra's current name) and `maxAttempt` (its older name) are read.
public struct RetryPolicy: Sendable, Equatable {
    /// The retry type and its intervals.
    public enum Kind: Sendable, Equatable {
        /// The same wait between attempts.
        case constant(interval: Located<ISODuration>)
        /// A wait multiplied by `delayFactor` (default 2) after each attempt, up to `maxInterval`.
        case exponential(
            interval: Located<ISODuration>, maxInterval: Located<ISODuration>, delayFactor: Located<Double>?)
        /// A random wait between `minInterval` and `maxInterval`.
        case random(minInterval: Located<ISODuration>, maxInterval: Located<ISODuration>)
    }

    /// The type and intervals.
    public var kind: Kind
    /// The most attempts in total, or nil for no limit (then `maxDuration` should be set).
    public var maxAttempts: Located<Int>?
    /// The longest time spent retrying, or nil for no limit.
    public var maxDuration: Located<ISODuration>?
    /// Whether a task that succeeded after retries ends in WARNING (default false).
    public var warningOnRetry: Located<Bool>
    /// Where the `retry` mapping starts.
    public var location: SourceLocation

    /// Creates a retry policy.
    public init(
        kind: Kind, maxAttempts: Located<Int>?, maxDuration: Located<ISODuration>?, warningOnRetry: Located<Bool>,
        location: SourceLocation
    ) {
        self.kind = kind
        self.maxAttempts = maxAttempts
        self.maxDuration = maxDuration
        self.warningOnRetry = warningOnRetry
        self.location = location
    }
}
