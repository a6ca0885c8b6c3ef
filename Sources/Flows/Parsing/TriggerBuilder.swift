import Foundation

/// Builds the flow's `triggers`: Kestra's `Schedule` is run (by `batchledger serve`); every other trigger type is
/// refused by name.
struct TriggerBuilder {
    let context: ParseContext

    static let scheduleTypes = [
        "io.kestra.plugin.core.trigger.Schedule", "io.kestra.core.models.triggers.types.Schedule",
    ]

    static let properties = [
        "id", "type", "cron", "timezone", "withSeconds", "inputs", "labels", "backfill", "recoverMissedSchedules",
        "disabled", "description",
    ]

    /// Schedule properties BatchLedger does not run, each with what to do instead.
    static let unsupported: [String: String] = {
        var result: [String: String] = [:]
        for key in ["conditions", "scheduleConditions", "stopAfter", "lateMaximumDelay", "interval", "workerGroup",
            "logToFile", "minLogLevel", "failOnTriggerError", "allowConcurrent", "executionId"]
        {
            result[key] =
                "'\(key)' is a property of Kestra's Schedule trigger that BatchLedger does not support: remove it"
        }
        return result
    }()

    func build(_ reader: MappingReader) -> ScheduleTrigger? {
        let id = reader.string("id", required: true)
        if let id, let problem = KestraRules.taskIDProblem(id.value) {
            context.error("trigger id '\(id.value)' is invalid: \(problem)", at: id.location)
        }
        guard let type = reader.string("type", required: true) else { return nil }
        guard Self.scheduleTypes.contains(type.value) else {
            context.error(
                "trigger type '\(type.value)' is not supported: BatchLedger fires Schedule triggers "
                    + "(io.kestra.plugin.core.trigger.Schedule) only, from batchledger serve", at: type.location)
            return nil
        }
        let named = reader.renamed(owner: "trigger '\(id?.value ?? "?")'")
        named.rejectUnknown(known: Self.properties, explanations: Self.unsupported)
        let withSeconds = named.bool("withSeconds", default: false)
        var cron: Located<CronExpression>?
        if let text = named.string("cron", required: true) {
            if text.isTemplate {
                context.error("property 'cron' of trigger '\(id?.value ?? "?")' cannot be a template", at: text.location)
            } else {
                do {
                    cron = Located(try CronExpression(text.value, withSeconds: withSeconds.value), at: text.location)
                } catch {
                    context.error("cron '\(text.value)' is invalid: \(error.description)", at: text.location)
                }
            }
        }
        let timezone = named.string("timezone") ?? Located("UTC", at: named.location, isDefault: true)
        if TimeZone(identifier: timezone.value) == nil {
            context.error(
                "timezone '\(timezone.value)' is not a known time zone: write an IANA name such as Europe/Paris or UTC",
                at: timezone.location)
        }
        let inputs = named.stringMap("inputs") ?? []
        let labels = (named.stringMap("labels") ?? []).map { FlowLabel(key: $0.key, value: $0.value) }
        let backfill = named.mapping("backfill", owner: "backfill of trigger '\(id?.value ?? "?")'") { readBackfill($0) }
        let missed =
            named.enumeration("recoverMissedSchedules", ScheduleTrigger.MissedSchedules.self)
            ?? Located(.all, at: named.location, isDefault: true)
        let disabled = named.bool("disabled", default: false)
        guard let id, let cron else { return nil }
        return ScheduleTrigger(
            id: id, type: type, cron: cron, timezone: timezone, inputs: inputs, labels: labels, backfill: backfill,
            recoverMissedSchedules: missed, disabled: disabled, location: reader.location)
    }

    private func readBackfill(_ reader: MappingReader) -> ScheduleTrigger.Backfill? {
        reader.rejectUnknown(
            known: ["start", "end"],
            explanations: [
                "inputs": "backfill 'inputs' are not supported: the trigger's inputs are used",
                "labels": "backfill 'labels' are not supported: the trigger's labels are used",
            ])
        let start = reader.string("start", required: true).flatMap { date($0, "start") }
        let end = reader.string("end").flatMap { date($0, "end") }
        if let start, let end, end.value < start.value {
            context.error("backfill 'end' is before its 'start'", at: end.location)
        }
        guard let start else { return nil }
        return ScheduleTrigger.Backfill(start: start, end: end)
    }

    private func date(_ text: Located<String>, _ key: String) -> Located<Date>? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text.value) { return Located(date, at: text.location) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text.value) { return Located(date, at: text.location) }
        context.error(
            "backfill '\(key)' must be a date and time with its offset, such as 2024-01-01T00:00:00Z, found "
                + "'\(text.value)'", at: text.location)
        return nil
    }
}
