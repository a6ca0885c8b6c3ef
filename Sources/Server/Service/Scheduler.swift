import Engine
import Flows
import Foundation
import Ledger
import Primitives
import ServiceLifecycle

/// Fires the `Schedule` triggers of the library's flows: at each tick, every trigger of every flow (its latest
/// revision, neither flow nor trigger disabled) starts an execution for each of its times that came, by its
/// `SchedulePlan`: on time, missed while the server was down (`recoverMissedSchedules`), or before it was armed
/// (`backfill`). Each fire is recorded in the trigger's stream before its execution starts, with the execution's
/// id, so a crash in between is finished at the next start and no time is fired twice.
public final class Scheduler: Service, Sendable {
    let host: ExecutionHost
    let library: FlowLibrary
    let book: ScheduleBook
    let clock: any Clock<Duration>
    let now: @Sendable () -> Date
    /// How often the triggers are looked at.
    let interval: Duration
    private let state = SchedulerState()

    public init(
        host: ExecutionHost, library: FlowLibrary, clock: any Clock<Duration> = ContinuousClock(),
        now: @escaping @Sendable () -> Date = { Date() }, interval: Duration = .seconds(1)
    ) {
        self.host = host
        self.library = library
        self.book = ScheduleBook(store: library.store)
        self.clock = clock
        self.now = now
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var again = true
                while again, !Task.isCancelled {
                    let tick = await self.tick(at: self.now())
                    self.report(tick.problems)
                    again = tick.more
                }
                do {
                    try await self.clock.sleep(for: self.interval)
                } catch {
                    return
                }
            }
        }
    }

    /// A cron time as the trigger's events and variables write it: whole seconds, UTC (`2024-01-01T06:00:00Z`).
    static func stamp(_ date: Date) -> String { Timestamp(date).rfc3339(fractionDigits: 0) }

    /// Says each problem on standard error the first time it happens (a flow that cannot run is met at every
    /// tick).
    private func report(_ problems: [String]) {
        for problem in problems where state.firstReport(problem) {
            FileHandle.standardError.write(Data("batchledger serve: schedule: \(problem)\n".utf8))
        }
    }

    /// What one tick did.
    public struct Tick: Sendable, Equatable {
        /// The executions started, by trigger stream.
        public var started: [String: [String]] = [:]
        /// Problems met (a flow that no longer parses, a refused start): one line each.
        public var problems: [String] = []
        /// More times are due than one tick handles.
        public var more = false
    }

    /// Looks at every trigger once, at `date`.
    @discardableResult
    public func tick(at date: Date) async -> Tick {
        var tick = Tick()
        let catalog: [FlowCatalogProjection.State]
        do {
            catalog = try library.catalog().filter { !$0.deleted }
        } catch {
            tick.problems.append("the flow library cannot be read: \(error)")
            return tick
        }
        for entry in catalog {
            let found: (revision: FlowRevision, flow: LoadedFlow)?
            do {
                found = try state.flow(entry) { try library.latest(namespace: entry.namespace, id: entry.flowId) }
            } catch {
                // Said once per revision: a flow saved with errors (an older server's) never runs.
                tick.problems.append("flow \(entry.namespace).\(entry.flowId) cannot run: \(error)")
                continue
            }
            guard let (revision, loaded) = found, !loaded.flow.disabled.value else { continue }
            for trigger in loaded.flow.triggers where !trigger.disabled.value {
                await fire(trigger, of: loaded, revision: revision, at: date, into: &tick)
            }
        }
        return tick
    }

    private func fire(
        _ trigger: ScheduleTrigger, of loaded: LoadedFlow, revision: FlowRevision, at date: Date,
        into tick: inout Tick
    ) async {
        let stream = ScheduleBook.stream(
            namespace: revision.namespace, flowId: revision.flowId, triggerId: trigger.id.value)
        do {
            var standing = state.standing(stream)
            try book.refresh(&standing, of: stream)
            // Starts that failed at an earlier tick, tried again (a few times).
            var pending = state.takeRetries(stream)
            if state.firstLook(stream) {
                // Fired before a crash and never started: start them now, with the ids recorded.
                pending += try standing.fired.suffix(SchedulePlan.maximumPerTick).filter {
                    try library.store.currentVersion(of: $0.executionId) == 0
                }
            }
            var events: [NewEvent] = []
            let armedAt: Date
            var lastDone = standing.lastDone
            if let armed = standing.armedAt, standing.armedCron == trigger.cron.value.text,
                standing.armedTimezone == trigger.timezone.value
            {
                armedAt = armed
            } else {
                // First seen, or its cron or time zone changed: armed (again) now. Times of an earlier expression
                // are not run again under the new one; a backfill runs at the first arming only.
                armedAt = date
                if standing.armedAt != nil { lastDone = [lastDone, date].compactMap { $0 }.max() }
                events.append(
                    try NewEvent(
                        type: TriggerArmed.type,
                        encoding: TriggerArmed(
                            namespace: revision.namespace, flowId: revision.flowId, triggerId: trigger.id.value,
                            at: Self.stamp(date), cron: trigger.cron.value.text,
                            timezone: trigger.timezone.value)))
            }
            let plan = SchedulePlan.plan(trigger, armedAt: armedAt, lastDone: lastDone, now: date)
            if let skipped = plan.skipped {
                events.append(
                    try NewEvent(
                        type: SchedulesSkipped.type,
                        encoding: SchedulesSkipped(
                            namespace: revision.namespace, flowId: revision.flowId, triggerId: trigger.id.value,
                            from: Self.stamp(skipped.from), through: Self.stamp(skipped.through),
                            count: skipped.count, policy: trigger.recoverMissedSchedules.value.rawValue)))
            }
            var fired: [TriggerFired] = []
            for time in plan.fire {
                fired.append(
                    TriggerFired(
                        namespace: revision.namespace, flowId: revision.flowId, triggerId: trigger.id.value,
                        scheduledFor: Self.stamp(time.date), executionId: Engine.newExecutionID(),
                        flowRevision: revision.revision, backfill: time.backfill, recovered: time.recovered))
            }
            events += try fired.map { try NewEvent(type: TriggerFired.type, encoding: $0) }
            if !events.isEmpty {
                guard try book.append(events, to: stream, after: standing.version) else {
                    // Another scheduler on this ledger fired first; the next tick reads what it did.
                    state.keep(standing, for: stream)
                    return
                }
                try book.refresh(&standing, of: stream)
            }
            // Only once what this tick decided is recorded: a ledger that refuses appends never spins the loop.
            tick.more = tick.more || plan.more
            state.keep(standing, for: stream)
            for one in pending + fired {
                do {
                    let id = try await start(one, trigger: trigger, loaded: loaded, standing: standing)
                    tick.started[stream, default: []].append(id)
                } catch {
                    let tries = state.failedStart(one, of: stream)
                    tick.problems.append(
                        "trigger \(trigger.id.value) of \(revision.namespace).\(revision.flowId) could not start "
                            + "execution \(one.executionId) for \(one.scheduledFor): \(error)"
                            + (tries < SchedulerState.startAttempts
                                ? " (tried \(tries) of \(SchedulerState.startAttempts) times; tried again at the next tick)"
                                : " (given up after \(tries) tries; it is started again at the next start of serve)"))
                }
            }
        } catch {
            tick.problems.append("trigger \(trigger.id.value) of \(revision.namespace).\(revision.flowId): \(error)")
        }
    }

    /// Starts the execution a `TriggerFired` names, with the trigger's inputs, labels and variables.
    private func start(
        _ fired: TriggerFired, trigger: ScheduleTrigger, loaded: LoadedFlow, standing: ScheduleBook.Standing
    )
        async throws -> String
    {
        let date = Timestamp.parse(fired.scheduledFor) ?? now()
        let previous = standing.fired.map(\.scheduledFor).filter { $0 < fired.scheduledFor }.max()
        var variables = ["date": fired.scheduledFor]
        if let next = trigger.next(after: date) { variables["next"] = Self.stamp(next) }
        if let previous { variables["previous"] = previous }
        var request = StartRequest(
            flow: loaded, inputs: Dictionary(trigger.inputs.map { ($0.key.value, $0.value.value) }) { a, _ in a },
            secrets: host.secrets, backend: host.backend, outputDirectory: host.outputDirectory,
            executionId: fired.executionId, requestedBy: "trigger \(trigger.id.value)",
            labels: Dictionary(trigger.labels.map { ($0.key.value, $0.value.value) }) { a, _ in a },
            flowRevision: fired.flowRevision)
        request.trigger = variables
        request.reportsInterruptedExecutions = false
        return try await host.launch(.start(request))
    }
}

/// The scheduler's memory between ticks: each trigger's standing as last read, the flows parsed per revision,
/// and which triggers it has looked at since it started.
private final class SchedulerState: @unchecked Sendable {
    private let lock = NSLock()
    private var standings: [String: ScheduleBook.Standing] = [:]
    private var seen: Set<String> = []
    private var retries: [String: [TriggerFired]] = [:]
    private var failures: [String: Int] = [:]
    private var reported: Set<String> = []
    /// How many times a fired time's start is tried before it waits for the next start of the server.
    static let startAttempts = 5

    /// The fires of `stream` whose start failed and is to be tried again.
    func takeRetries(_ stream: String) -> [TriggerFired] {
        lock.withLock { retries.removeValue(forKey: stream) ?? [] }
    }

    /// Counts a failed start of `fired`, queued again unless it failed `startAttempts` times; returns the count.
    func failedStart(_ fired: TriggerFired, of stream: String) -> Int {
        lock.withLock {
            failures[fired.executionId, default: 0] += 1
            let count = failures[fired.executionId]!
            if count < Self.startAttempts { retries[stream, default: []].append(fired) }
            return count
        }
    }

    /// True the first time `problem` is reported (bounded: an endless stream of new texts is said once each
    /// until ten thousand were, then no more).
    func firstReport(_ problem: String) -> Bool {
        lock.withLock { reported.count < 10_000 && reported.insert(problem).inserted }
    }
    private var flows: [String: (revision: FlowRevision, flow: LoadedFlow)?] = [:]

    func standing(_ stream: String) -> ScheduleBook.Standing {
        lock.withLock { standings[stream] ?? ScheduleBook.Standing() }
    }

    func keep(_ standing: ScheduleBook.Standing, for stream: String) {
        lock.withLock { standings[stream] = standing }
    }

    /// True the first time a trigger is looked at.
    func firstLook(_ stream: String) -> Bool {
        lock.withLock { seen.insert(stream).inserted }
    }

    /// The latest revision of a catalog entry, parsed once per revision (`load` reads it); nil when it is gone
    /// or failed before (the failure is thrown the first time only).
    func flow(_ entry: FlowCatalogProjection.State, load: () throws -> FlowRevision?) throws -> (
        revision: FlowRevision, flow: LoadedFlow
    )? {
        let key = "\(entry.namespace)/\(entry.flowId)@\(entry.revision)"
        if let known = lock.withLock({ flows[key] }) { return known }
        guard let revision = try load() else { return nil }
        let loaded: LoadedFlow
        do {
            loaded = try LoadedFlow(
                FlowSource(
                    path: "\(revision.namespace).\(revision.flowId)@\(revision.revision).yaml", text: revision.source))
        } catch {
            lock.withLock { flows[key] = .some(nil) }
            throw error
        }
        lock.withLock {
            // Revisions parsed long ago are parsed again if ever needed: the cache stays small.
            if flows.count >= 256 { flows.removeAll() }
            flows[key] = (revision, loaded)
        }
        return (revision, loaded)
    }
}
