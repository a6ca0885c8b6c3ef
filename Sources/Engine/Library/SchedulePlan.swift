import Flows
import Foundation

/// What a schedule trigger does at one tick of the scheduler: the times it fires (each an execution) and the
/// missed times it skips. A pure decision on the trigger, what its stream says and the time now.
public struct SchedulePlan: Sendable, Equatable {
    /// A time to fire.
    public struct Fire: Sendable, Equatable {
        public var date: Date
        /// Before the trigger was armed, run for `backfill`.
        public var backfill: Bool
        /// Passed while nothing fired the trigger (later than `SchedulePlan.onTimeWindow`).
        public var recovered: Bool
    }

    /// Missed times that are not run.
    public struct Skip: Sendable, Equatable {
        public var from: Date
        public var through: Date
        public var count: Int
    }

    public var fire: [Fire] = []
    public var skipped: Skip?
    /// True when more times are due than one tick handles (`maximumPerTick`): tick again at once.
    public var more = false

    /// How late a time may be fired and still be on time rather than missed.
    public static let onTimeWindow: TimeInterval = 60
    /// The most executions one trigger starts in one tick.
    public static let maximumPerTick = 100
    /// The most times one tick looks at (a cron of every second after a month down has millions).
    static let maximumExamined = 10_000

    /// The plan for `trigger`, armed at `armedAt`, whose last time fired or skipped is `lastDone` (nil: none yet).
    public static func plan(_ trigger: ScheduleTrigger, armedAt: Date, lastDone: Date?, now: Date) -> SchedulePlan {
        var plan = SchedulePlan()
        let backfill = trigger.backfill
        var cursor = lastDone ?? backfill.map { $0.start.value.addingTimeInterval(-1) } ?? armedAt
        var due: [Date] = []
        var examined = 0
        while examined < maximumExamined, let time = trigger.next(after: cursor), time <= now {
            examined += 1
            cursor = time
            if time < armedAt {
                let backfillEnd = min(backfill?.end?.value ?? armedAt, armedAt)
                if backfill != nil, time <= backfillEnd {
                    guard plan.fire.count < maximumPerTick else {
                        plan.more = true
                        return plan
                    }
                    plan.fire.append(Fire(date: time, backfill: true, recovered: false))
                } else {
                    // Between the backfill's end and the arming: not run; carry on from the arming.
                    cursor = max(cursor, armedAt.addingTimeInterval(-1))
                }
                continue
            }
            due.append(time)
        }
        let exhausted = examined == maximumExamined
        guard let latest = due.last else {
            plan.more = exhausted
            return plan
        }
        let latestOnTime = !exhausted && now.timeIntervalSince(latest) <= onTimeWindow
        let missed = latestOnTime ? Array(due.dropLast()) : due
        switch trigger.recoverMissedSchedules.value {
        case .all:
            for time in due {
                guard plan.fire.count < maximumPerTick else {
                    plan.more = true
                    return plan
                }
                plan.fire.append(Fire(date: time, backfill: false, recovered: missed.contains(time)))
            }
            plan.more = plan.more || exhausted
        case .last:
            if exhausted {
                plan.skipped = Skip(from: due[0], through: latest, count: due.count)
                plan.more = true
            } else {
                if due.count > 1 {
                    plan.skipped = Skip(from: due[0], through: due[due.count - 2], count: due.count - 1)
                }
                plan.fire.append(Fire(date: latest, backfill: false, recovered: !latestOnTime))
            }
        case .none:
            if let last = missed.last {
                plan.skipped = Skip(from: missed[0], through: last, count: missed.count)
            }
            if latestOnTime { plan.fire.append(Fire(date: latest, backfill: false, recovered: false)) }
            plan.more = exhausted
        }
        return plan
    }
}
