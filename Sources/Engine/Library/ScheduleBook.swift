import Flows
import Foundation
import Ledger
import Primitives

/// The schedule triggers' record in the ledger: one stream per trigger, `trigger/NAMESPACE/FLOW/TRIGGER`, holding
/// when it was armed (`TriggerArmed`), each time it fired with the execution it started (`TriggerFired`) and the
/// missed times it skipped (`SchedulesSkipped`). Appends are checked against the stream's version, so two
/// schedulers on one ledger never fire the same time twice.
public struct ScheduleBook: Sendable {
    public let store: EventStore

    public init(store: EventStore) {
        self.store = store
    }

    static let streamPrefix = "trigger/"

    /// How many of a trigger's latest fires a standing keeps (to start those a crash left unstarted, and for
    /// `trigger.previous`): a cron of every minute fires half a million times a year.
    public static let firedKept = 1_000

    /// The stream of one trigger.
    public static func stream(namespace: String, flowId: String, triggerId: String) -> String {
        streamPrefix + namespace + "/" + flowId + "/" + triggerId
    }

    /// Whether `stream` is a trigger's (not an execution's).
    public static func isTriggerStream(_ stream: String) -> Bool { stream.hasPrefix(streamPrefix) }

    /// Where a trigger stands.
    public struct Standing: Sendable, Equatable {
        /// When the trigger was (last) armed, and with which cron expression and time zone.
        public var armedAt: Date?
        public var armedCron: String?
        public var armedTimezone: String?
        /// The last time fired or skipped.
        public var lastDone: Date?
        /// The last time fired, and the one before (Kestra's `trigger.previous`).
        public var lastFired: Date?
        /// The stream's version: what the next append expects.
        public var version: Int64 = 0
        /// The latest `TriggerFired` (at most `ScheduleBook.firedKept`), oldest first, from the events read.
        public var fired: [TriggerFired] = []

        public init() {}
    }

    /// Folds `event` of a trigger's stream into `standing`.
    public static func apply(_ event: RecordedEvent, to standing: inout Standing) throws {
        standing.version = event.version
        switch event.type {
        case TriggerArmed.type:
            let armed = try JSONDecoder().decode(TriggerArmed.self, from: event.payload)
            let at = Timestamp.parse(armed.at)
            if standing.armedAt != nil {
                // Armed again (its cron or time zone changed): the new expression's times count from here.
                standing.lastDone = [standing.lastDone, at].compactMap { $0 }.max()
            }
            standing.armedAt = at
            standing.armedCron = armed.cron
            standing.armedTimezone = armed.timezone
        case TriggerFired.type:
            let fired = try JSONDecoder().decode(TriggerFired.self, from: event.payload)
            let date = Timestamp.parse(fired.scheduledFor)
            standing.lastDone = [standing.lastDone, date].compactMap { $0 }.max()
            standing.lastFired = [standing.lastFired, date].compactMap { $0 }.max()
            standing.fired.append(fired)
            if standing.fired.count > Self.firedKept {
                standing.fired.removeFirst(standing.fired.count - Self.firedKept)
            }
        case SchedulesSkipped.type:
            let skipped = try JSONDecoder().decode(SchedulesSkipped.self, from: event.payload)
            standing.lastDone = [standing.lastDone, Timestamp.parse(skipped.through)].compactMap { $0 }.max()
        default:
            break
        }
    }

    /// Brings `standing` of `stream` up to the stream's end.
    public func refresh(_ standing: inout Standing, of stream: String) throws {
        try store.readStream(stream, fromVersion: standing.version + 1) { try Self.apply($0, to: &standing) }
    }

    /// Appends `events` to the trigger's stream after `version`; false when another scheduler appended first.
    public func append(_ events: [NewEvent], to stream: String, after version: Int64) throws -> Bool {
        do {
            try store.append(events, to: stream, expectedVersion: version == 0 ? .noStream : .exactly(version))
            return true
        } catch LedgerError.versionConflict {
            return false
        }
    }
}
