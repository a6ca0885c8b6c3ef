import Clocks
import Foundation
import Synchronization

/// A clock on which every sleep ends at once, moving the clock's time forward to the sleep's deadline (never
/// back). Decision replay runs on it, so that a recorded hour of polling replays in as many steps as there were
/// polls; tests use it to step through waits.
public final class SteppingClock: Clock, Sendable {
    public struct Instant: InstantProtocol {
        let offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Duration.zero)

    public init() {}

    public var now: Instant { Instant(offset: current.withLock { $0 }) }
    public var minimumResolution: Duration { .zero }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        current.withLock { $0 = max($0, deadline.offset) }
        await Task.yield()
    }
}
