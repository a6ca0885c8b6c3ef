import Foundation

/// Dates for the `date`, `dateAdd` and `timestamp` filters and `now()`: ISO-8601 parsing and Java
/// `DateTimeFormatter`-style patterns.
///
/// Inputs are ISO-8601 strings (`2024-05-01`, `2024-05-01T10:00`, `2024-05-01T10:00:00.123456Z`,
/// `2024-05-01T10:00:00+02:00`, a trailing `[Europe/Paris]` is ignored; no zone means the context's zone) or
/// epoch seconds (integer or number). Precision is the microsecond.
enum DateSupport {
    /// Kestra's named formats.
    static let namedFormats: [String: String] = [
        "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
        "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
        "iso_milli": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        "iso_date": "yyyy-MM-dd",
        "iso_date_time": "yyyy-MM-dd'T'HH:mm:ss.SSSSSS",
        "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
        "sql_seq": "yyyy-MM-dd HH:mm:ss",
    ]

    struct PatternError: Error {
        var message: String
    }

    /// Dates are kept within years ±9999 so that calendar arithmetic stays well-defined.
    static let maxSeconds = 253_402_300_799

    /// Microseconds since the epoch, or nil if `value` is not a date this engine understands.
    static func parse(_ value: TemplateValue, timeZone: TimeZone) -> Int64? {
        switch value {
        case .int(let seconds):
            guard (-maxSeconds...maxSeconds).contains(seconds) else { return nil }
            return Int64(seconds) * 1_000_000
        case .double(let seconds):
            guard seconds.isFinite, abs(seconds) <= Double(maxSeconds) else { return nil }
            return Int64((seconds * 1_000_000).rounded())
        case .string(let text): return parseISO(text, timeZone: timeZone)
        default: return nil
        }
    }

    private static func parseISO(_ text: String, timeZone: TimeZone) -> Int64? {
        var s = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        if let bracket = s.firstIndex(of: UInt8(ascii: "[")), s.last == UInt8(ascii: "]") { s = Array(s[..<bracket]) }
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= s.count else { return nil }
            var value = 0
            for j in i..<(i + digits) {
                guard (48...57).contains(s[j]) else { return nil }
                value = value * 10 + Int(s[j] - 48)
            }
            i += digits
            return value
        }
        func expect(_ c: Character) -> Bool {
            guard i < s.count, s[i] == c.asciiValue else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var fractionMicros = 0
        var offsetSeconds: Int?
        if i < s.count, s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: " ") {
            i += 1
            guard let h = number(2), expect(":"), let m = number(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if expect(":") {
                guard let sec = number(2), sec < 61 else { return nil }
                second = sec
                if expect(".") || expect(",") {
                    var digits = 0
                    while i < s.count, (48...57).contains(s[i]) {
                        if digits < 6 { fractionMicros = fractionMicros * 10 + Int(s[i] - 48) }
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in min(digits, 6)..<6 { fractionMicros *= 10 }
                }
            }
            if expect("Z") || expect("z") {
                offsetSeconds = 0
            } else if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = number(2) else { return nil }
                var om = 0
                if expect(":") {
                    guard let m = number(2) else { return nil }
                    om = m
                } else if let m = number(2) {
                    om = m
                }
                offsetSeconds = sign * (oh * 3600 + om * 60)
            }
        }
        guard i == s.count else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = offsetSeconds.flatMap { TimeZone(secondsFromGMT: $0) } ?? timeZone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components) else { return nil }
        return Int64(date.timeIntervalSince1970.rounded()) * 1_000_000 + Int64(fractionMicros)
    }

    /// Formats microseconds since the epoch with a Java pattern or a named format.
    static func format(_ micros: Int64, pattern: String, timeZone: TimeZone) throws(PatternError) -> String {
        let pattern = namedFormats[pattern] ?? pattern
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = Int(micros - seconds * 1_000_000)
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        let offset = timeZone.secondsFromGMT(for: date)
        let chars = Array(pattern)
        var out = ""
        var i = 0
        while i < chars.count {
            let ch = chars[i]
            if ch == "'" {
                var j = i + 1
                if j < chars.count, chars[j] == "'" {
                    out += "'"
                    i += 2
                    continue
                }
                while j < chars.count {
                    if chars[j] == "'" {
                        if j + 1 < chars.count, chars[j + 1] == "'" {
                            out += "'"
                            j += 2
                            continue
                        }
                        break
                    }
                    out.append(chars[j])
                    j += 1
                }
                guard j < chars.count else { throw PatternError(message: "unterminated quote in date pattern") }
                i = j + 1
                continue
            }
            guard ch.isASCII, ch.isLetter else {
                out.append(ch)
                i += 1
                continue
            }
            var count = 1
            while i + count < chars.count, chars[i + count] == ch { count += 1 }
            i += count
            let year = c.year ?? 1970
            switch ch {
            case "y", "u":
                out += count == 2 ? pad(year % 100, 2) : pad(year, max(count, 1))
            case "M", "L":
                let month = c.month ?? 1
                switch count {
                case 1, 2: out += pad(month, count)
                case 3: out += String(monthNames[month - 1].prefix(3))
                default: out += monthNames[month - 1]
                }
            case "d": out += pad(c.day ?? 1, count)
            case "D": out += pad(dayOfYear, count)
            case "H": out += pad(c.hour ?? 0, count)
            case "h":
                let hour = (c.hour ?? 0) % 12
                out += pad(hour == 0 ? 12 : hour, count)
            case "m": out += pad(c.minute ?? 0, count)
            case "s": out += pad(c.second ?? 0, count)
            case "S":
                let micros = pad(fraction, 6)
                out += count <= 6 ? String(micros.prefix(count)) : micros + String(repeating: "0", count: count - 6)
            case "a": out += (c.hour ?? 0) < 12 ? "AM" : "PM"
            case "E":
                let name = dayNames[((c.weekday ?? 1) + 5) % 7]
                out += count >= 4 ? name : String(name.prefix(3))
            case "X", "x", "Z":
                out += offsetText(offset, letter: ch, count: count)
            case "z", "V":
                out += ch == "V" ? timeZone.identifier : (timeZone.abbreviation(for: date) ?? timeZone.identifier)
            default:
                throw PatternError(message: "unsupported letter '\(ch)' in date pattern '\(pattern)'")
            }
        }
        return out
    }

    private static func offsetText(_ offset: Int, letter: Character, count: Int) -> String {
        if offset == 0 && letter == "X" { return "Z" }
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600
        let minutes = abs(offset) % 3600 / 60
        if letter == "Z" {
            return count == 4 ? "GMT\(sign)\(pad(hours, 2)):\(pad(minutes, 2))" : sign + pad(hours, 2) + pad(minutes, 2)
        }
        switch count {
        case 1: return sign + pad(hours, 2) + (minutes == 0 ? "" : pad(minutes, 2))
        case 2: return sign + pad(hours, 2) + pad(minutes, 2)
        default: return sign + pad(hours, 2) + ":" + pad(minutes, 2)
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(abs(value))
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - text.count)) + text
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]
    static let dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// Adds `amount` of a Java `ChronoUnit` (`SECONDS`, `DAYS`, `MONTHS`, …) to a date; calendar units follow the
    /// zone's calendar. Nil for an unknown unit.
    static func add(_ amount: Int, unit: String, to micros: Int64, timeZone: TimeZone) -> Int64? {
        let fixed: [String: Int64] = [
            "MICROS": 1, "MILLIS": 1_000, "SECONDS": 1_000_000, "MINUTES": 60_000_000, "HOURS": 3_600_000_000,
            "HALF_DAYS": 43_200_000_000,
        ]
        if let factor = fixed[unit.uppercased()] {
            let (delta, overflow) = Int64(amount).multipliedReportingOverflow(by: factor)
            let (sum, sumOverflow) = micros.addingReportingOverflow(delta)
            guard !overflow, !sumOverflow, abs(sum / 1_000_000) <= maxSeconds else { return nil }
            return sum
        }
        let calendarUnits: [String: (Calendar.Component, Int)] = [
            "DAYS": (.day, 1), "WEEKS": (.day, 7), "MONTHS": (.month, 1), "YEARS": (.year, 1), "DECADES": (.year, 10),
            "CENTURIES": (.year, 100),
        ]
        guard let (component, multiplier) = calendarUnits[unit.uppercased()], (-999_999...999_999).contains(amount)
        else {
            return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        guard let moved = calendar.date(byAdding: component, value: amount * multiplier, to: date),
            abs(moved.timeIntervalSince1970) <= Double(maxSeconds)
        else { return nil }
        return Int64(moved.timeIntervalSince1970.rounded()) * 1_000_000 + fraction
    }
}
