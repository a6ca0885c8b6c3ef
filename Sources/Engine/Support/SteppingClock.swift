import Clocks
import Foundation
import Synchronization

/// A clock on which every sleep ends at once, moving the clock's time forward to the sleep's deadline (never
/// back). Decision replay runs on it, so that a recorded hour of polling replays in as many steps as there were
/// polls; tests use it to step through waits.
///
/// Work that runs side by side keeps its own time in a lane (`withLane`): a sleep moves only the time of the
/// lane it runs in, so a thousand task runs polling at once do not each see the others' waits added to their
/// own (which would run their deadlines out a thousand times too soon). A lane starts at the time of the lane
/// (or clock) it was opened in, and when it ends that time moves forward to the lane's, as the wall-clock time
/// of work done side by side is that of the longest.
public final class SteppingClock: Clock, Sendable {
    public struct Instant: InstantProtocol {
        let offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    /// The time of one piece of work on the stepping clocks it sleeps on.
    public final class Lane: Sendable {
        fileprivate let parent: Lane?
        fileprivate let times = Mutex<[ObjectIdentifier: (clock: SteppingClock, offset: Duration)]>([:])

        fileprivate init(parent: Lane?) {
            self.parent = parent
        }
    }

    @TaskLocal private static var lane: Lane?

    private let current = Mutex(Duration.zero)

    public init() {}

    public var now: Instant { Instant(offset: time(in: Self.lane)) }
    public var minimumResolution: Duration { .zero }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        advance(Self.lane, to: deadline.offset)
        await Task.yield()
    }

    /// Runs `body` in a lane of its own (on every stepping clock; on any other clock this changes nothing).
    public static func withLane<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let lane = Lane(parent: Self.lane)
        defer {
            for (clock, offset) in lane.times.withLock({ Array($0.values) }) {
                clock.advance(lane.parent, to: offset)
            }
        }
        return try await $lane.withValue(lane) { try await body() }
    }

    private func time(in lane: Lane?) -> Duration {
        guard let lane else { return current.withLock { $0 } }
        let key = ObjectIdentifier(self)
        if let known = lane.times.withLock({ $0[key]?.offset }) { return known }
        let start = time(in: lane.parent)
        return lane.times.withLock { times in
            if let known = times[key] { return known.offset }
            times[key] = (self, start)
            return start
        }
    }

    private func advance(_ lane: Lane?, to offset: Duration) {
        guard let lane else {
            current.withLock { $0 = max($0, offset) }
            return
        }
        let start = time(in: lane)
        lane.times.withLock { times in
            times[ObjectIdentifier(self)] = (self, max(times[ObjectIdentifier(self)]?.offset ?? start, offset))
        }
    }
}
