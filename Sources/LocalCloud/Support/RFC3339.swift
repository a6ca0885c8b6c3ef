import Foundation

/// RFC 3339 timestamps as Google writes them (`2024-04-01T12:34:56.123456Z`) and as clients send them
/// (0–9 fractional digits, `Z` or a numeric offset such as `+0000` or `+02:00`).
enum RFC3339 {
    /// Formats a date in UTC with microseconds, as Google's APIs do.
    static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var tm = tm()
        var time = time_t(seconds)
        gmtime_r(&time, &tm)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1,
            Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), fraction)
    }

    /// Parses an RFC 3339 timestamp; returns nil when the text is not one.
    static func parse(_ text: String) -> Date? {
        let chars = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int? {
            guard start + length <= chars.count else { return nil }
            var value = 0
            for index in start..<(start + length) {
                let c = chars[index]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard chars.count >= 19, let year = number(0, 4), chars[4] == 45, let month = number(5, 2), chars[7] == 45,
            let day = number(8, 2), chars[10] == 84 || chars[10] == 116 || chars[10] == 32,
            let hour = number(11, 2), chars[13] == 58, let minute = number(14, 2), chars[16] == 58,
            let second = number(17, 2)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < chars.count, chars[index] == 46 {
            index += 1
            var scale = 0.1
            let start = index
            while index < chars.count, chars[index] >= 48, chars[index] <= 57 {
                fraction += Double(chars[index] - 48) * scale
                scale /= 10
                index += 1
            }
            if index == start { return nil }
        }
        var offset = 0
        guard index < chars.count else { return nil }
        switch chars[index] {
        case 90, 122:  // Z z
            index += 1
        case 43, 45:  // + -
            let sign = chars[index] == 43 ? 1 : -1
            index += 1
            guard let hours = number(index, 2) else { return nil }
            index += 2
            if index < chars.count, chars[index] == 58 { index += 1 }
            guard let minutes = number(index, 2) else { return nil }
            index += 2
            offset = sign * (hours * 3600 + minutes * 60)
        default:
            return nil
        }
        guard index == chars.count else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = second
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard let base = calendar.date(from: components) else { return nil }
        return base.addingTimeInterval(fraction - Double(offset))
    }
}

/// `google-duration` strings: `"3600s"`, `"1.5s"`.
enum GoogleDuration {
    /// Parses `"<n>s"` or `"<n>.<frac>s"`; nil when malformed.
    static func parse(_ text: String) -> Double? {
        guard text.hasSuffix("s"), let value = Double(text.dropLast()), value >= 0 else { return nil }
        return value
    }

    /// Formats seconds as Google does (`"12.345s"`, `"0s"`).
    static func format(_ seconds: Double) -> String {
        if seconds == seconds.rounded() { return "\(Int64(seconds))s" }
        var text = String(format: "%.6f", seconds)
        while text.hasSuffix("0") { text.removeLast() }
        return text + "s"
    }
}
