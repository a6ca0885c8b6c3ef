import Foundation
import Ledger

/// A schedule trigger seen for the first time by a server: its times count from here (earlier ones only through
/// `backfill`). Recorded in the trigger's own stream (`ScheduleBook.stream`).
public struct TriggerArmed: Codable, Sendable, Equatable {
    public var namespace: String
    public var flowId: String
    public var triggerId: String
    /// RFC 3339: the time the trigger was first seen.
    public var at: String
    public var cron: String
    public var timezone: String

    public init(namespace: String, flowId: String, triggerId: String, at: String, cron: String, timezone: String) {
        self.namespace = namespace
        self.flowId = flowId
        self.triggerId = triggerId
        self.at = at
        self.cron = cron
        self.timezone = timezone
    }

    public static let type = "TriggerArmed"
}

/// A schedule trigger fired for one of its times: the execution it starts, recorded before it starts (so that a
/// crash in between leaves the intent, and the next tick starts that very execution).
public struct TriggerFired: Codable, Sendable, Equatable {
    public var namespace: String
    public var flowId: String
    public var triggerId: String
    /// RFC 3339: the time the cron expression names (Kestra's `trigger.date`).
    public var scheduledFor: String
    public var executionId: String
    /// The flow revision it runs.
    public var flowRevision: Int
    /// True for a time before the trigger was armed, run because of `backfill`.
    public var backfill: Bool
    /// True for a time that passed while nothing fired the trigger, run because of `recoverMissedSchedules`.
    public var recovered: Bool

    public init(namespace: String, flowId: String, triggerId: String, scheduledFor: String, executionId: String, flowRevision: Int, backfill: Bool, recovered: Bool) {
        self.namespace = namespace
        self.flowId = flowId
        self.triggerId = triggerId
        self.scheduledFor = scheduledFor
        self.executionId = executionId
        self.flowRevision = flowRevision
        self.backfill = backfill
        self.recovered = recovered
    }

    public static let type = "TriggerFired"
}

/// Times of a schedule trigger that passed while nothing fired it and are not run (`recoverMissedSchedules`
/// NONE, or LAST for all but the latest).
public struct SchedulesSkipped: Codable, Sendable, Equatable {
    public var namespace: String
    public var flowId: String
    public var triggerId: String
    /// RFC 3339: the first and the last time skipped.
    public var from: String
    public var through: String
    public var count: Int
    /// The `recoverMissedSchedules` that decided it.
    public var policy: String

    public init(namespace: String, flowId: String, triggerId: String, from: String, through: String, count: Int, policy: String) {
        self.namespace = namespace
        self.flowId = flowId
        self.triggerId = triggerId
        self.from = from
        self.through = through
        self.count = count
        self.policy = policy
    }

    public static let type = "SchedulesSkipped"
}
