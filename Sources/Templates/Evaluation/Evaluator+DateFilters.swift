import Foundation

/// `date(format, timeZone=…)`, `dateAdd(amount, unit)` and `timestamp`.
extension Evaluator {
    func dateFilter(_ name: String, _ input: TemplateValue, _ args: Arguments) throws(TemplateFailure)
        -> TemplateValue?
    {
        let names: Set<String> = ["date", "dateAdd", "timestamp", "timestampMilli", "timestampMicro", "timestampNano"]
        guard names.contains(name) else { return nil }
        if input == .null { return .null }
        let zone = try timeZone(args)
        let parsed: Int64?
        if let existingFormat = try args.optionalString(99, "existingFormat"), case .string(let text) = input {
            do {
                parsed = try DateSupport.parse(text, pattern: existingFormat, timeZone: zone)
            } catch {
                throw args.failure(error.message)
            }
            guard parsed != nil else {
                throw args.failure("'\(text.prefix(40))' does not match the existingFormat '\(existingFormat)'")
            }
        } else {
            parsed = DateSupport.parse(input, timeZone: zone)
        }
        guard let micros = parsed else {
            throw args.failure(
                "cannot read \(input.typeDescription) '\(input.outputText.prefix(40))' as a date: use ISO-8601 "
                    + "(2024-05-01T10:00:00Z) or epoch seconds")
        }
        switch name {
        case "date":
            return .string(try format(micros, pattern: try args.optionalString(0, "format") ?? "iso", zone, args))
        case "dateAdd":
            let amount = try args.int(0, "amount")
            let unit = try args.string(1, "unit")
            guard let moved = DateSupport.add(amount, unit: unit, to: micros, timeZone: zone) else {
                throw args.failure(
                    "cannot add \(amount) '\(unit)': use a unit such as SECONDS, MINUTES, HOURS, DAYS, WEEKS, MONTHS, YEARS"
                )
            }
            return .string(try format(moved, pattern: try args.optionalString(2, "format") ?? "iso", zone, args))
        case "timestampMilli":
            return .int(Int(micros >= 0 ? micros / 1_000 : (micros - 999) / 1_000))
        case "timestampMicro":
            return .int(Int(micros))
        case "timestampNano":
            let (nanos, overflow) = Int(micros).multipliedReportingOverflow(by: 1_000)
            guard !overflow else { throw args.failure("the date is out of the range of nanosecond timestamps") }
            return .int(nanos)
        default:
            return .int(Int(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000))
        }
    }

    func timeZone(_ args: Arguments) throws(TemplateFailure) -> TimeZone {
        guard let identifier = try args.optionalString(99, "timeZone") else { return context.timeZone }
        guard let zone = TimeZone(identifier: identifier) else {
            throw args.failure("unknown time zone '\(identifier)': use an IANA name such as 'Europe/Paris' or 'UTC'")
        }
        return zone
    }

    func format(_ micros: Int64, pattern: String, _ zone: TimeZone, _ args: Arguments) throws(TemplateFailure) -> String
    {
        do {
            return try DateSupport.format(micros, pattern: pattern, timeZone: zone)
        } catch {
            throw args.failure(error.message)
        }
    }
}
