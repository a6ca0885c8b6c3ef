import Flows
import Foundation
import Testing

@testable import Engine

@Suite("Schedule triggers: what fires at a tick")
struct SchedulePlanTests {
    func trigger(_ properties: String) throws -> ScheduleTrigger {
        let source = """
            id: nightly
            namespace: company.team
            tasks:
              - id: hello
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: p
                  region: europe-west9
                commands: [echo hi]
            triggers:
              - id: schedule
                type: io.kestra.plugin.core.trigger.Schedule
            \(properties.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        let result = FlowParser.parse(source: source, file: "nightly.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        return try #require(result.flow?.triggers.first)
    }

    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("a time that came within the minute fires; nothing fires before the arming")
    func onTime() throws {
        let hourly = try trigger("cron: '0 * * * *'")
        let armed = date("2024-05-01T09:20:00Z")
        #expect(SchedulePlan.plan(hourly, armedAt: armed, lastDone: nil, now: date("2024-05-01T09:59:00Z")).fire == [])
        let plan = SchedulePlan.plan(hourly, armedAt: armed, lastDone: nil, now: date("2024-05-01T10:00:30Z"))
        #expect(plan.fire == [.init(date: date("2024-05-01T10:00:00Z"), backfill: false, recovered: false)])
        #expect(plan.skipped == nil)
        // Fired: the next tick in the same hour has nothing to do.
        #expect(
            SchedulePlan.plan(
                hourly, armedAt: armed, lastDone: date("2024-05-01T10:00:00Z"), now: date("2024-05-01T10:30:00Z")
            ).fire == [])
    }

    @Test("times missed while down: ALL runs each, LAST the latest, NONE none (skipped and said)")
    func missed() throws {
        let armed = date("2024-05-01T00:00:00Z")
        let last = date("2024-05-01T06:00:00Z")
        let now = date("2024-05-01T09:30:00Z")
        let all = SchedulePlan.plan(try trigger("cron: '0 * * * *'"), armedAt: armed, lastDone: last, now: now)
        let hours = ["07", "08", "09"].map { date("2024-05-01T\($0):00:00Z") }
        #expect(all.fire.map(\.date) == hours)
        #expect(all.fire.allSatisfy { $0.recovered })
        let latest = SchedulePlan.plan(
            try trigger("cron: '0 * * * *'\nrecoverMissedSchedules: LAST"), armedAt: armed, lastDone: last, now: now)
        #expect(latest.fire == [.init(date: date("2024-05-01T09:00:00Z"), backfill: false, recovered: true)])
        #expect(latest.skipped == .init(from: date("2024-05-01T07:00:00Z"), through: date("2024-05-01T08:00:00Z"), count: 2))
        let none = SchedulePlan.plan(
            try trigger("cron: '0 * * * *'\nrecoverMissedSchedules: NONE"), armedAt: armed, lastDone: last, now: now)
        #expect(none.fire == [])
        #expect(none.skipped == .init(from: date("2024-05-01T07:00:00Z"), through: date("2024-05-01T09:00:00Z"), count: 3))
        // NONE still fires the time that is on time.
        let onTime = SchedulePlan.plan(
            try trigger("cron: '0 * * * *'\nrecoverMissedSchedules: NONE"), armedAt: armed, lastDone: last,
            now: date("2024-05-01T09:00:10Z"))
        #expect(onTime.fire.map(\.date) == [date("2024-05-01T09:00:00Z")])
        #expect(onTime.skipped?.count == 2)
    }

    @Test("backfill runs the times from its start to its end before the arming, then the trigger goes on from there")
    func backfill() throws {
        let daily = try trigger(
            "cron: '0 6 * * *'\ntimezone: Europe/Paris\nbackfill:\n  start: 2024-01-01T00:00:00Z\n  end: 2024-01-03T23:00:00Z")
        let armed = date("2024-05-01T12:00:00Z")
        let plan = SchedulePlan.plan(daily, armedAt: armed, lastDone: nil, now: armed)
        let days = ["01", "02", "03"].map { date("2024-01-\($0)T05:00:00Z") }
        #expect(plan.fire.map(\.date) == days)
        #expect(plan.fire.allSatisfy { $0.backfill })
        // Once the backfill is done, the days between its end and the arming are not run.
        let after = SchedulePlan.plan(
            daily, armedAt: armed, lastDone: date("2024-01-03T05:00:00Z"), now: date("2024-05-02T04:00:30Z"))
        #expect(after.fire == [.init(date: date("2024-05-02T04:00:00Z"), backfill: false, recovered: false)])
    }

    @Test("a tick starts at most maximumPerTick executions of one trigger and says there is more")
    func capped() throws {
        let everyMinute = try trigger("cron: '* * * * *'")
        let plan = SchedulePlan.plan(
            everyMinute, armedAt: date("2024-05-01T00:00:00Z"), lastDone: date("2024-05-01T00:00:00Z"),
            now: date("2024-05-02T00:00:00Z"))
        #expect(plan.fire.count == SchedulePlan.maximumPerTick)
        #expect(plan.more)
        #expect(plan.fire.first?.date == date("2024-05-01T00:01:00Z"))
    }
}
