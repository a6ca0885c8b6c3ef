import Clocks

extension AnyClock where Duration == Swift.Duration {
    /// The real monotonic clock, the default of every client; tests pass a `TestClock` instead.
    public static var continuous: AnyClock<Duration> { AnyClock(ContinuousClock()) }
}
