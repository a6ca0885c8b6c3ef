import Foundation

/// A cron expression as Kestra's `Schedule` trigger reads it (the UNIX definition): five fields, `minute hour
/// day-of-month month day-of-week`, or six with seconds first (`withSeconds: true`). Each field is `*`, a number, a
/// range `a-b`, a step `*/n` or `a-b/n` or `a/n`, or a comma-separated list of those; months and days of the week
/// also by name (`JAN`, `MON`), Sunday as 0 or 7, and `?` as `*` in the two day fields. The nicknames `@yearly`,
/// `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly` stand for their five fields.
///
/// As in cron, when both the day of the month and the day of the week are restricted, a day matching either one
/// matches.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The expression as written.
    public let text: String
    let seconds: Set<Int>
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    /// 0 (Sunday) to 6.
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public var description: String { text }

    /// Why an expression cannot be read.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    static let nicknames = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Reads `text`; `withSeconds` expects six fields, the first of them seconds.
    public init(_ text: String, withSeconds: Bool = false) throws(Problem) {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var fields = trimmed.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if trimmed.hasPrefix("@") {
            guard let expanded = Self.nicknames[trimmed.lowercased()] else {
                throw Problem(
                    description: "unknown cron nickname '\(trimmed)' (known: "
                        + Self.nicknames.keys.sorted().joined(separator: ", ") + ")")
            }
            fields = expanded.split(separator: " ").map(String.init)
            if withSeconds { fields.insert("0", at: 0) }
        }
        let expected = withSeconds ? 6 : 5
        guard fields.count == expected else {
            throw Problem(
                description: "a cron expression has \(expected) fields"
                    + (withSeconds
                        ? " with withSeconds: true (second minute hour day-of-month month day-of-week)"
                        : " (minute hour day-of-month month day-of-week)") + ", '\(text)' has \(fields.count)")
        }
        if !withSeconds { fields.insert("0", at: 0) }
        seconds = try Self.field(fields[0], "second", 0...59)
        minutes = try Self.field(fields[1], "minute", 0...59)
        hours = try Self.field(fields[2], "hour", 0...23)
        daysOfMonth = try Self.field(fields[3], "day of the month", 1...31, question: true)
        months = try Self.field(fields[4], "month", 1...12, names: Self.monthNames, firstName: 1)
        let weekdays = try Self.field(fields[5], "day of the week", 0...7, names: Self.dayNames, question: true)
        daysOfWeek = Set(weekdays.map { $0 % 7 })
        dayOfMonthRestricted = !Self.isWildcard(fields[3])
        dayOfWeekRestricted = !Self.isWildcard(fields[5])
    }

    private static func isWildcard(_ field: String) -> Bool { field == "*" || field == "?" }

    private static func field(
        _ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String] = [], firstName: Int = 0,
        question: Bool = false
    ) throws(Problem) -> Set<Int> {
        if question && text == "?" { return Set(range) }
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !part.isEmpty else { throw Problem(description: "the \(name) field '\(text)' has an empty item") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else {
                throw Problem(description: "the \(name) field item '\(part)' has more than one '/'")
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0, parsed <= range.upperBound + 1 else {
                    throw Problem(description: "the \(name) field item '\(part)' has a step that is not 1 to \(range.upperBound + 1)")
                }
                step = parsed
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                let low = try value(String(pieces[0][..<dash]), name, range, names, firstName, part)
                let high = try value(String(pieces[0][pieces[0].index(after: dash)...]), name, range, names, firstName, part)
                guard low <= high else {
                    throw Problem(description: "the \(name) field range '\(part)' goes backwards (\(low) to \(high))")
                }
                span = low...high
            } else {
                let single = try value(pieces[0], name, range, names, firstName, part)
                // `a/n` runs from a to the end of the field.
                span = pieces.count == 2 ? single...range.upperBound : single...single
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    private static func value(
        _ text: String, _ name: String, _ range: ClosedRange<Int>, _ names: [String], _ firstName: Int, _ item: String
    ) throws(Problem) -> Int {
        if let index = names.firstIndex(of: text.uppercased()) { return index + firstName }
        guard let number = Int(text) else {
            let special = ["L", "W", "#", "LW"].contains { text.uppercased().contains($0) }
            throw Problem(
                description: special
                    ? "the \(name) field item '\(item)' uses L, W or #, which the UNIX cron definition of Kestra's Schedule does not have"
                    : "the \(name) field item '\(item)' is not a number"
                        + (names.isEmpty ? "" : " or a name (\(names.joined(separator: ", ")))"))
        }
        guard range.contains(number) else {
            throw Problem(
                description: "the \(name) field item '\(item)' is out of range: \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// The first time strictly after `date` that the expression names, read on the clocks of `timeZone`.
    ///
    /// A wall-clock time that does not exist that day (skipped by a daylight-saving change) is not fired; one
    /// that happens twice (the hour repeated when the clocks go back) is fired the first time only. Nil when
    /// nothing matches within five years (`0 0 30 2 *`).
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var time = Date(timeIntervalSince1970: (date.timeIntervalSince1970 + 1).rounded(.down))
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while time <= limit {
            let now = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: time)
            guard let month = now.month, let day = now.day, let hour = now.hour, let minute = now.minute,
                let second = now.second, let weekday = now.weekday
            else { return nil }
            let advance: Calendar.Component?
            if !months.contains(month) {
                advance = .month
            } else if !dayMatches(day: day, weekday: weekday - 1) {
                advance = .day
            } else if !hours.contains(hour) {
                advance = .hour
            } else if !minutes.contains(minute) {
                advance = .minute
            } else if !seconds.contains(second) {
                advance = .second
            } else {
                advance = nil
            }
            guard let advance else {
                if isRepeatedWallTime(time, calendar) {
                    time = time.addingTimeInterval(1)
                    continue
                }
                return time
            }
            guard let next = Self.start(of: advance, after: time, calendar) else { return nil }
            time = next
        }
        return nil
    }

    private func dayMatches(day: Int, weekday: Int) -> Bool {
        let byMonth = daysOfMonth.contains(day)
        let byWeek = daysOfWeek.contains(weekday)
        if dayOfMonthRestricted && dayOfWeekRestricted { return byMonth || byWeek }
        return byMonth && byWeek
    }

    /// True when the wall-clock time of `time` already happened earlier the same day (the clocks went back).
    private func isRepeatedWallTime(_ time: Date, _ calendar: Calendar) -> Bool {
        let zone = calendar.timeZone
        let offsetNow = zone.secondsFromGMT(for: time)
        let offsetBefore = zone.secondsFromGMT(for: time.addingTimeInterval(-3 * 3_600))
        guard offsetBefore > offsetNow else { return false }
        let earlier = time.addingTimeInterval(-Double(offsetBefore - offsetNow))
        let fields: Set<Calendar.Component> = [.year, .month, .day, .hour, .minute, .second]
        return calendar.dateComponents(fields, from: earlier) == calendar.dateComponents(fields, from: time)
    }

    /// The start of the next `component` after `time` (the next month's first day at midnight, the next hour …).
    private static func start(of component: Calendar.Component, after time: Date, _ calendar: Calendar) -> Date? {
        let coarser: Set<Calendar.Component>
        switch component {
        case .month: coarser = [.year, .month]
        case .day: coarser = [.year, .month, .day]
        case .hour: coarser = [.year, .month, .day, .hour]
        case .minute: coarser = [.year, .month, .day, .hour, .minute]
        default: return time.addingTimeInterval(1)
        }
        if component == .hour || component == .minute {
            // Absolute steps: hours and minutes last the same whatever the zone's changes.
            let size: Double = component == .hour ? 3_600 : 60
            let offset = Double(calendar.timeZone.secondsFromGMT(for: time))
            let local = time.timeIntervalSince1970 + offset
            let startLocal = (local / size).rounded(.down) * size + size
            let candidate = Date(timeIntervalSince1970: startLocal - offset)
            return candidate > time ? candidate : time.addingTimeInterval(size)
        }
        guard let truncated = calendar.date(from: calendar.dateComponents(coarser, from: time)),
            let next = calendar.date(byAdding: component, value: 1, to: truncated)
        else { return nil }
        // Midnight may not exist on a day the clocks change: the calendar gives the first time that does.
        return next > time ? next : time.addingTimeInterval(1)
    }
}
