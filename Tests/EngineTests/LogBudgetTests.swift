import Testing

@testable import Engine

/// The per-execution cap on stored log bytes: what does not fit is counted as dropped, not stored.
@Suite struct LogBudgetTests {
    private func lines(_ texts: [String]) -> [LogLine] {
        texts.map { LogLine(time: "t", severity: "INFO", text: $0, stderr: false) }
    }

    @Test func linesThatFitAreAllKeptInOrder() {
        var budget = LogBudget(cap: 100, stored: 0)
        let (kept, dropped) = budget.admit(lines(["one", "two", "three"]))
        #expect(kept.map(\.text) == ["one", "two", "three"])
        #expect(dropped == 0)
        #expect(budget.remaining == 89)
    }

    @Test func aLineThatExactlyFillsTheBudgetIsKept() {
        var budget = LogBudget(cap: 10, stored: 5)
        let (kept, dropped) = budget.admit(lines(["12345", "x"]))
        #expect(kept.map(\.text) == ["12345"])
        #expect(dropped == 1)
        #expect(budget.remaining == 0)
    }

    @Test func aLongLineThatDoesNotFitDoesNotStopShorterOnesAfterIt() {
        var budget = LogBudget(cap: 10, stored: 0)
        let (kept, dropped) = budget.admit(lines(["abcd", "this line is too long", "efgh", "ijk"]))
        #expect(kept.map(\.text) == ["abcd", "efgh"])
        #expect(dropped == 2)
    }

    @Test func bytesAlreadyStoredCountAgainstTheCap() {
        var budget = LogBudget(cap: 64, stored: 60)
        let (kept, dropped) = budget.admit(lines(["12345", "1234"]))
        #expect(kept.map(\.text) == ["1234"])
        #expect(dropped == 1)
    }

    @Test func sizeIsCountedInUTF8Bytes() {
        var budget = LogBudget(cap: 5, stored: 0)
        // "été" is three characters and five bytes; "ça" is two characters and three bytes.
        let (kept, dropped) = budget.admit(lines(["ça", "été"]))
        #expect(kept.map(\.text) == ["ça"])
        #expect(dropped == 1)
        #expect(budget.remaining == 2)
    }

    @Test func theBudgetIsSpentAcrossReads() {
        var budget = LogBudget(cap: 8, stored: 0)
        #expect(budget.admit(lines(["12345"])).kept.count == 1)
        let second = budget.admit(lines(["12345", "123"]))
        #expect(second.kept.map(\.text) == ["123"])
        #expect(second.dropped == 1)
    }

    @Test func aFullLedgerStillKeepsEmptyLinesButAnOverfullOneKeepsNothing() {
        var full = LogBudget(cap: 10, stored: 10)
        #expect(full.admit(lines(["", "x"])).kept.map(\.text) == [""])
        var over = LogBudget(cap: 10, stored: 12)
        let (kept, dropped) = over.admit(lines(["", "x"]))
        #expect(kept.isEmpty)
        #expect(dropped == 2)
    }
}
