import Ledger
import Server
import Testing

@testable import Engine

/// BatchLedger's state names read as Kestra's.
@Suite struct StateNameTests {
    @Test(arguments: RunState.allCases) func everyRunStateHasAKestraName(_ state: RunState) {
        let expected: [RunState: String] = [
            .created: "CREATED", .running: "RUNNING", .succeeded: "SUCCESS", .warning: "WARNING",
            .failed: "FAILED", .cancelled: "KILLED", .killed: "KILLED",
        ]
        #expect(Kestra.StateType(state).rawValue == expected[state])
        #expect(Kestra.StateType(state).isTerminal == state.isTerminal)
    }

    @Test func theKestraNamesAreTheSeventeenOfKestrasStateType() {
        #expect(
            Kestra.StateType.allCases.map(\.rawValue) == [
                "CREATED", "SUBMITTED", "RUNNING", "PAUSED", "RESTARTED", "KILLING", "SUCCESS", "WARNING", "FAILED",
                "KILLED", "CANCELLED", "QUEUED", "RETRYING", "RETRIED", "SKIPPED", "BREAKPOINT", "RESUBMITTED",
            ])
    }

    @Test func durationsAreISO8601Strings() {
        let start = Timestamp(seconds: 100, nanos: 0)
        #expect(Kestra.duration(from: start, to: Timestamp(seconds: 101, nanos: 500_000_000)) == "PT1.5S")
        #expect(Kestra.duration(from: start, to: start) == "PT0S")
        #expect(Kestra.duration(from: start, to: Timestamp(seconds: 100 + 3723, nanos: 0)) == "PT1H2M3S")
        #expect(Kestra.duration(from: start, to: Timestamp(seconds: 99, nanos: 0)) == "PT0S")
    }

    @Test func datesAreUTCWithAZ() {
        #expect(Kestra.date("2025-01-01T01:00:00.25+01:00") == "2025-01-01T00:00:00.250000Z")
        #expect(Kestra.date("not a time") == nil)
    }
}
