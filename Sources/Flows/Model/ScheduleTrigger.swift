import Foundation

/// `io.kestra.plugin.core.trigger.Schedule`: runs the flow at the times its cron expression names, in its time
/// zone. `batchledger serve` fires it; `run` runs a flow once and ignores its triggers.
public struct ScheduleTrigger: Sendable, Equatable {
    /// What to do with the times that passed while nothing fired the trigger (the server was down).
    public enum MissedSchedules: String, Sendable, Equatable, CaseIterable {
        /// Run every missed time.
        case all = "ALL"
        /// Run the most recent missed time only.
        case last = "LAST"
        /// Run none of them.
        case none = "NONE"
    }

    /// The times before the trigger was created that it runs too: from `start` to `end` (or until now).
    public struct Backfill: Sendable, Equatable {
        public var start: Located<Date>
        public var end: Located<Date>?

        public init(start: Located<Date>, end: Located<Date>? = nil) {
            self.start = start
            self.end = end
        }
    }

    /// The trigger id, unique among the flow's triggers.
    public var id: Located<String>
    /// The type as written (the full name or Kestra's older `io.kestra.core.models.triggers.types.Schedule`).
    public var type: Located<String>
    /// The cron expression, as written and read.
    public var cron: Located<CronExpression>
    /// The time zone the cron expression is read in (an IANA name; UTC when not written).
    public var timezone: Located<String>
    /// Inputs of the executions it starts, by name, as text.
    public var inputs: [(key: Located<String>, value: Located<String>)]
    /// Labels of the executions it starts.
    public var labels: [FlowLabel]
    public var backfill: Backfill?
    public var recoverMissedSchedules: Located<MissedSchedules>
    public var disabled: Located<Bool>
    /// Where the trigger's mapping starts.
    public var location: SourceLocation

    public init(
        id: Located<String>, type: Located<String>, cron: Located<CronExpression>, timezone: Located<String>,
        inputs: [(key: Located<String>, value: Located<String>)] = [], labels: [FlowLabel] = [],
        backfill: Backfill? = nil, recoverMissedSchedules: Located<MissedSchedules>, disabled: Located<Bool>,
        location: SourceLocation
    ) {
        self.id = id
        self.type = type
        self.cron = cron
        self.timezone = timezone
        self.inputs = inputs
        self.labels = labels
        self.backfill = backfill
        self.recoverMissedSchedules = recoverMissedSchedules
        self.disabled = disabled
        self.location = location
    }

    /// The time zone, read (UTC when its name is unknown: the parser refuses unknown names).
    public var timeZone: TimeZone { TimeZone(identifier: timezone.value) ?? TimeZone(identifier: "UTC")! }

    /// The first time the trigger fires strictly after `date`.
    public func next(after date: Date) -> Date? { cron.value.next(after: date, in: timeZone) }

    public static func == (lhs: ScheduleTrigger, rhs: ScheduleTrigger) -> Bool {
        lhs.id == rhs.id && lhs.type == rhs.type && lhs.cron == rhs.cron && lhs.timezone == rhs.timezone
            && lhs.inputs.map(\.key) == rhs.inputs.map(\.key) && lhs.inputs.map(\.value) == rhs.inputs.map(\.value)
            && lhs.labels == rhs.labels && lhs.backfill == rhs.backfill
            && lhs.recoverMissedSchedules == rhs.recoverMissedSchedules && lhs.disabled == rhs.disabled
            && lhs.location == rhs.location
    }
}
