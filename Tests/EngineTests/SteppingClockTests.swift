import Testing

@testable import Engine

@Suite("The stepping clock: sleeps end at once; work side by side keeps its own time")
struct SteppingClockTests {
    @Test("a sleep moves the clock to its deadline, at once")
    func sleepsStep() async throws {
        let clock = SteppingClock()
        let start = clock.now
        try await clock.sleep(for: .seconds(90))
        try await clock.sleep(for: .seconds(10))
        #expect(start.duration(to: clock.now) == .seconds(100))
    }

    @Test("lanes side by side each see their own waits, and the clock ends at the longest")
    func lanesKeepTheirOwnTime() async throws {
        let clock = SteppingClock()
        try await clock.sleep(for: .seconds(5))
        let elapsed = try await withThrowingTaskGroup(of: Duration.self) { group in
            for lane in 0..<100 {
                group.addTask {
                    try await SteppingClock.withLane {
                        let start = clock.now
                        for _ in 0..<10 { try await clock.sleep(for: .seconds(1)) }
                        if lane == 7 { try await clock.sleep(for: .seconds(30)) }
                        return start.duration(to: clock.now)
                    }
                }
            }
            var all: [Duration] = []
            for try await duration in group { all.append(duration) }
            return all
        }
        #expect(elapsed.filter { $0 == .seconds(10) }.count == 99)
        #expect(elapsed.filter { $0 == .seconds(40) }.count == 1)
        #expect(SteppingClock.Instant(offset: .zero).duration(to: clock.now) == .seconds(45))
    }

    @Test("a lane opened inside a lane starts at its time, and moves it forward when it ends")
    func nestedLanes() async throws {
        let clock = SteppingClock()
        let inner = try await SteppingClock.withLane {
            try await clock.sleep(for: .seconds(3))
            let opened = clock.now
            try await SteppingClock.withLane { try await clock.sleep(for: .seconds(4)) }
            return opened.duration(to: clock.now)
        }
        #expect(inner == .seconds(4))
        #expect(SteppingClock.Instant(offset: .zero).duration(to: clock.now) == .seconds(7))
    }
}
