import ArgumentParser
import Engine
import Foundation
import Ledger

/// `batchledger audit`: events across executions, filtered.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Find events across executions: by type, execution, flow, task, job, secret and time.",
        usage: "batchledger audit [<options>]",
        discussion: """
            Every filter given must hold. TIME is RFC 3339 (2026-11-22T08:00:00Z), a date (2026-11-22, UTC \
            midnight), or an age: 90m, 24h, 7d. With --json, one JSON object per line (NDJSON), as batchledger \
            events --json prints.

            Examples:
              batchledger audit --type JobCreated --since 7d
                  every job created in the last 7 days
              batchledger audit --type TaskFailed --task upload
                  every failure of task upload
              batchledger audit --secret GCP_PROJECT_ID
                  the renders that used that secret
              batchledger audit --job companyteam-multi-task-generate-8ca468ec-a1
                  the events of the attempt that ran that job
            """)

    @Option(name: .long, help: "Only events of this type (repeat for several).")
    var type: [String] = []

    @Option(name: .long, help: "Only this execution (repeat for several).")
    var execution: [String] = []

    @Option(name: .long, help: "Only executions of this flow, NAMESPACE/ID.")
    var flow: String?

    @Option(name: .long, help: "Only events of this task (its id, which takes in its ForEach runs) or task run.")
    var task: [String] = []

    @Option(name: .long, help: "Only events of the attempt that ran this Batch job (its id or resource name).")
    var job: String?

    @Option(name: .long, help: "Only the events that name this secret (TaskRendered, AttemptStarted).")
    var secret: String?

    @Option(name: .long, help: ArgumentHelp("Only events recorded at or after TIME.", valueName: "time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Only events recorded before TIME.", valueName: "time"))
    var until: String?

    @Option(name: .long, help: "At most this many events.")
    var limit: Int?

    @Flag(help: "Print one JSON object per event per line.")
    var json = false

    @OptionGroup var ledgerOptions: LedgerOptions

    func validate() throws {
        for (option, value) in [("--since", since), ("--until", until)] {
            guard let value else { continue }
            if AuditTime.parse(value) == nil {
                throw ValidationError(
                    "\(option) \(Excerpt.of(value)): not a time between the years 1 and 9999; use "
                        + "2026-11-22T08:00:00Z, 2026-11-22, or an age such as 7d / 24h / 90m")
            }
        }
        if let flow, flow.split(separator: "/").count != 2 {
            throw ValidationError("--flow \(flow): give NAMESPACE/ID, for example company.team/multi_task")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let store = try ExitCodes.run("audit") { try ledgerOptions.openReadOnly() }
        var streams = execution
        if let flow {
            let parts = flow.split(separator: "/").map(String.init)
            let matching = try store.cachedStates(ExecutionSummaryProjection.self).values
                .filter { $0.namespace == parts[0] && $0.flowId == parts[1] }.map(\.executionId)
            streams = streams.isEmpty ? matching : streams.filter(matching.contains)
            if streams.isEmpty {
                printError("batchledger audit: no execution of flow \(flow) in \(store.path)")
                return
            }
        }
        var filter = AuditFilter(
            events: EventFilter(
                types: type, streams: streams, since: since.flatMap { AuditTime.parse($0) },
                until: until.flatMap { AuditTime.parse($0) }, limit: limit),
            taskRuns: task)
        if let secret {
            if type.isEmpty { filter.events.types = ["TaskRendered", "AttemptStarted"] }
            filter.payload.append(
                PayloadCondition.anyOf([
                    .arrayContains(path: "$.secretsUsed", field: "name", value: secret),
                    .equals(path: "$.projectSecret.name", value: secret),
                    .equals(path: "$.bucketSecret.name", value: secret),
                ]))
        }
        let printer = EventPrinter(json: json, showExecution: true)
        if let job {
            // The attempts that ran the job, then every event of those attempts.
            var attempts: [(stream: String, taskRun: String, attempt: Int)] = []
            let identify = AuditFilter(
                events: EventFilter(
                    types: ["AttemptStarted", "JobCreateRequested", "JobCreated"], streams: filter.events.streams),
                payload: [
                    PayloadCondition.anyOf([
                        .equals(path: "$.jobId", value: job), .equals(path: "$.name", value: job),
                        .endsWith(path: "$.name", suffix: "/jobs/" + job),
                    ])
                ])
            try store.audit(identify) { event in
                struct Key: Decodable {
                    var taskRunId: String
                    var attempt: Int
                }
                guard let key = try? event.decode(Key.self) else { return }
                if !attempts.contains(where: { $0 == (event.stream, key.taskRunId, key.attempt) }) {
                    attempts.append((event.stream, key.taskRunId, key.attempt))
                }
            }
            var found: [RecordedEvent] = []
            for attempt in attempts {
                var one = filter
                one.events.streams = [attempt.stream]
                one.taskRuns =
                    filter.taskRuns.isEmpty
                        || filter.taskRuns.contains(where: {
                            attempt.taskRun == $0 || attempt.taskRun.hasPrefix($0 + "[")
                        }) ? [attempt.taskRun] : []
                if one.taskRuns.isEmpty { continue }
                one.payload.append(PayloadCondition.equals(path: "$.attempt", value: String(attempt.attempt)))
                try store.audit(one) { event in
                    // The task-run index matches ForEach iterations too: keep this run only.
                    struct Run: Decodable { var taskRunId: String? }
                    if (try? event.decode(Run.self))?.taskRunId == attempt.taskRun {
                        found.append(event)
                    }
                }
            }
            for event in found.sorted(by: { $0.seq < $1.seq }).prefix(limit ?? Int.max) { printer.print(event) }
        } else {
            try store.audit(filter) { printer.print($0) }
        }
        printer.finish()
        if printer.count == 0 && !json {
            printError("batchledger audit: no event matches")
        }
    }
}

/// Times as `audit` takes them.
enum AuditTime {
    /// The range a time may fall in: the years 1 through 9999, which RFC 3339 can write (and `recorded_at`
    /// compares against as text).
    static let earliest = Date(timeIntervalSince1970: -62_135_596_800)
    static let latest = Date(timeIntervalSince1970: 253_402_300_799)

    /// RFC 3339, a date (UTC midnight), or an age before now (`90m`, `24h`, `7d`, `2w`); nil for anything
    /// else, and for a time outside the years 1 to 9999 (`1e20s` is an age, but not one a time can have).
    static func parse(_ text: String, now: Date = Date()) -> Date? {
        guard let date = parseUnchecked(text, now: now), date >= earliest, date <= latest else { return nil }
        return date
    }

    private static func parseUnchecked(_ text: String, now: Date) -> Date? {
        if let date = Timestamp.parse(text) { return date }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 3 {
            guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
                let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
                (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day)
            else { return nil }
            var components = DateComponents()
            (components.year, components.month, components.day) = (year, month, day)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return calendar.date(from: components)
        }
        guard let unit = text.last, let amount = Double(text.dropLast()), amount.isFinite, amount >= 0,
            amount <= 1e12
        else { return nil }
        let seconds: Double
        switch unit {
        case "s": seconds = amount
        case "m": seconds = amount * 60
        case "h": seconds = amount * 3600
        case "d": seconds = amount * 86400
        case "w": seconds = amount * 7 * 86400
        default: return nil
        }
        return now.addingTimeInterval(-seconds)
    }
}
