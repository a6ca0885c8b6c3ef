import Foundation
import Testing

@testable import Flows

@Suite("Cron expressions of Schedule triggers")
struct CronExpressionTests {
    let utc = TimeZone(identifier: "UTC")!
    let paris = TimeZone(identifier: "Europe/Paris")!

    func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    func text(_ date: Date?, _ zone: TimeZone) -> String {
        guard let date else { return "nil" }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        return formatter.string(from: date)
    }

    /// The first `count` times after `start`.
    func times(_ cron: String, after start: String, count: Int, in zone: TimeZone, withSeconds: Bool = false)
        throws -> [String]
    {
        let expression = try CronExpression(cron, withSeconds: withSeconds)
        var result: [String] = []
        var cursor = date(start)
        for _ in 0..<count {
            guard let next = expression.next(after: cursor, in: zone) else { break }
            result.append(text(next, zone))
            cursor = next
        }
        return result
    }

    @Test("steps, ranges, lists, names and nicknames name the times cron names")
    func fields() throws {
        #expect(
            try times("*/15 * * * *", after: "2024-05-01T10:07:00Z", count: 3, in: utc) == [
                "2024-05-01T10:15:00Z", "2024-05-01T10:30:00Z", "2024-05-01T10:45:00Z",
            ])
        #expect(
            try times("0 9-17/4 * * MON-FRI", after: "2024-05-03T14:00:00Z", count: 3, in: utc) == [
                "2024-05-03T17:00:00Z", "2024-05-06T09:00:00Z", "2024-05-06T13:00:00Z",
            ])
        #expect(
            try times("30 6 1,15 JAN,jul *", after: "2024-01-15T06:30:00Z", count: 2, in: utc) == [
                "2024-07-01T06:30:00Z", "2024-07-15T06:30:00Z",
            ])
        #expect(try times("@daily", after: "2024-02-28T12:00:00Z", count: 2, in: utc) == [
            "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z",
        ])
        #expect(try times("0 0 * * 7", after: "2024-05-01T00:00:00Z", count: 1, in: utc) == ["2024-05-05T00:00:00Z"])
        #expect(
            try times("*/20 * * * * *", after: "2024-05-01T00:00:05Z", count: 2, in: utc, withSeconds: true) == [
                "2024-05-01T00:00:20Z", "2024-05-01T00:00:40Z",
            ])
    }

    @Test("with both day fields restricted, a day matching either one runs (as cron does)")
    func dayOfMonthOrDayOfWeek() throws {
        // The 13th, or any Friday.
        #expect(
            try times("0 0 13 * FRI", after: "2024-09-01T00:00:00Z", count: 3, in: utc) == [
                "2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z",
            ])
        #expect(try CronExpression("0 0 30 2 *").next(after: date("2024-01-01T00:00:00Z"), in: utc) == nil)
    }

    @Test("read on the time zone's clocks: a skipped hour does not fire, a repeated one fires once")
    func daylightSaving() throws {
        let spring = try times("30 2 * * *", after: "2024-03-30T12:00:00Z", count: 2, in: paris)
        #expect(spring == ["2024-04-01T02:30:00+02:00", "2024-04-02T02:30:00+02:00"])
        let autumn = try times("30 2 * * *", after: "2024-10-26T12:00:00Z", count: 2, in: paris)
        #expect(autumn == ["2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"])
        #expect(
            try times("0 8 * * *", after: "2024-03-30T12:00:00Z", count: 2, in: paris) == [
                "2024-03-31T08:00:00+02:00", "2024-04-01T08:00:00+02:00",
            ])
    }

    @Test("what cannot be read says which field and why")
    func problems() {
        func problem(_ text: String, withSeconds: Bool = false) -> String {
            do {
                _ = try CronExpression(text, withSeconds: withSeconds)
                return "read"
            } catch {
                return error.description
            }
        }
        #expect(problem("* * * *").contains("has 5 fields"))
        #expect(problem("* * * * *", withSeconds: true).contains("has 6 fields"))
        #expect(problem("60 * * * *").contains("minute field item '60' is out of range: 0 to 59"))
        #expect(problem("* * L * *").contains("L, W or #"))
        #expect(problem("* * * FOO *").contains("month field item 'FOO' is not a number or a name"))
        #expect(problem("5-1 * * * *").contains("goes backwards"))
        #expect(problem("*/0 * * * *").contains("step"))
        #expect(problem("@often").contains("unknown cron nickname"))
        #expect(problem("1,,2 * * * *").contains("empty item"))
    }
}

@Suite("Flow triggers")
struct FlowTriggerTests {
    func diagnostics(_ triggers: String) -> [String] {
        let source = """
            id: nightly
            namespace: company.team
            tasks:
              - id: hello
                type: io.kestra.plugin.scripts.shell.Commands
                commands: [echo hi]
            triggers:
            \(triggers)
            """
        return FlowParser.parse(source: source, file: "f.yaml").diagnostics.filter { $0.severity == .error }.map(\.description)
    }

    @Test("a Schedule is read; other trigger types, bad crons, zones and properties are refused at their place")
    func refusals() {
        #expect(
            diagnostics(
                """
                  - id: every
                    type: io.kestra.plugin.core.trigger.Schedule
                    cron: "0 6 * * *"
                    timezone: Europe/Paris
                    inputs: {day: monday}
                    recoverMissedSchedules: LAST
                """
            ).isEmpty)
        #expect(
            diagnostics("  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: abc") == [
                "f.yaml:9:11: trigger type 'io.kestra.plugin.core.trigger.Webhook' is not supported: BatchLedger fires "
                    + "Schedule triggers (io.kestra.plugin.core.trigger.Schedule) only, from batchledger serve"
            ])
        #expect(
            diagnostics("  - id: s\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '61 * * * *'") == [
                "f.yaml:10:11: cron '61 * * * *' is invalid: the minute field item '61' is out of range: 0 to 59"
            ])
        #expect(
            diagnostics(
                "  - id: s\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '@daily'\n    timezone: Mars/Olympus"
            ).first?.hasPrefix("f.yaml:11:15: timezone 'Mars/Olympus' is not a known time zone") == true)
        #expect(
            diagnostics(
                "  - id: s\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: '@daily'\n    stopAfter: [FAILED]"
            ).first?.contains("'stopAfter' is a property of Kestra's Schedule trigger that BatchLedger does not support")
                == true)
    }
}
