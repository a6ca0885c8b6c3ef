import Foundation

/// Parsing dates with an explicit Java pattern, for the `existingFormat` argument of `date` and `dateAdd`.
extension DateSupport {
    /// Microseconds since the epoch of `text` read with `pattern` (letters `y`, `M`, `MMM`, `MMMM`, `d`, `H`, `h`,
    /// `m`, `s`, `S…`, `a`, `E`, `X`/`x`/`Z`, quoted literals); nil if the text does not match. Without an offset in
    /// the pattern, the date is read in `timeZone`; missing fields default to the start of the period.
    static func parse(_ text: String, pattern: String, timeZone: TimeZone) throws(PatternError) -> Int64? {
        let pattern = namedFormats[pattern] ?? pattern
        let p = Array(pattern)
        let s = Array(text)
        var i = 0
        var j = 0
        var fields: [Character: Int] = [:]
        var fractionMicros = 0
        var offsetSeconds: Int?
        var isPM: Bool?

        func digits(max: Int) -> Int? {
            var value = 0
            var count = 0
            // 18 digits at most: more could overflow an Int.
            while count < min(max, 18), j < s.count, let digit = s[j].wholeNumberValue, s[j].isASCII {
                value = value * 10 + digit
                count += 1
                j += 1
            }
            return count == 0 ? nil : value
        }

        while i < p.count {
            let ch = p[i]
            if ch == "'" {
                var k = i + 1
                while k < p.count, p[k] != "'" {
                    guard j < s.count, s[j] == p[k] else { return nil }
                    j += 1
                    k += 1
                }
                guard k < p.count else { throw PatternError(message: "unterminated quote in date pattern") }
                if k == i + 1 {  // '' is a quote
                    guard j < s.count, s[j] == "'" else { return nil }
                    j += 1
                }
                i = k + 1
                continue
            }
            guard ch.isASCII, ch.isLetter else {
                guard j < s.count, s[j] == ch else { return nil }
                i += 1
                j += 1
                continue
            }
            var count = 1
            while i + count < p.count, p[i + count] == ch { count += 1 }
            i += count
            switch ch {
            case "y", "u":
                guard let year = digits(max: count == 2 ? 2 : max(count, 4)) else { return nil }
                fields["y"] = count == 2 ? 2000 + year : year
            case "M", "L":
                if count >= 3 {
                    let rest = String(s[j...]).lowercased()
                    guard
                        let index = monthNames.firstIndex(where: {
                            rest.hasPrefix(count == 3 ? String($0.prefix(3)).lowercased() : $0.lowercased())
                        })
                    else { return nil }
                    j += count == 3 ? 3 : monthNames[index].count
                    fields["M"] = index + 1
                } else {
                    guard let month = digits(max: 2) else { return nil }
                    fields["M"] = month
                }
            case "d", "H", "h", "m", "s", "D":
                guard let value = digits(max: max(count, ch == "D" ? 3 : 2)) else { return nil }
                fields[ch] = value
            case "S":
                let start = j
                guard let value = digits(max: count) else { return nil }
                let read = j - start
                fractionMicros =
                    read >= 6 ? value / Int(pow(10.0, Double(read - 6))) : value * Int(pow(10.0, Double(6 - read)))
            case "a":
                let rest = String(s[j...]).uppercased()
                guard rest.hasPrefix("AM") || rest.hasPrefix("PM") else { return nil }
                isPM = rest.hasPrefix("PM")
                j += 2
            case "E":
                let rest = String(s[j...]).lowercased()
                guard
                    let name = dayNames.first(where: {
                        rest.hasPrefix($0.lowercased()) || rest.hasPrefix($0.prefix(3).lowercased())
                    })
                else { return nil }
                j += rest.hasPrefix(name.lowercased()) ? name.count : 3
            case "X", "x", "Z":
                if j < s.count, s[j] == "Z" {
                    offsetSeconds = 0
                    j += 1
                } else {
                    guard j < s.count, s[j] == "+" || s[j] == "-" else { return nil }
                    let sign = s[j] == "-" ? -1 : 1
                    j += 1
                    guard let hours = digits(max: 2) else { return nil }
                    if j < s.count, s[j] == ":" { j += 1 }
                    let minutes = digits(max: 2) ?? 0
                    offsetSeconds = sign * (hours * 3600 + minutes * 60)
                }
            default:
                throw PatternError(message: "unsupported letter '\(ch)' in date pattern '\(pattern)'")
            }
        }
        guard j == s.count else { return nil }
        // Calendar arithmetic on absurd fields is not worth trusting: keep to years 0...9999 and small numbers.
        guard (fields["y"] ?? 1970) <= 9999, (fields["d"] ?? 1) <= 31, (fields["D"] ?? 1) <= 366,
            (fields["h"] ?? 1) <= 12
        else { return nil }
        var hour = fields["H"] ?? fields["h"] ?? 0
        if let isPM, fields["h"] != nil { hour = hour % 12 + (isPM ? 12 : 0) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = offsetSeconds.flatMap { TimeZone(secondsFromGMT: $0) } ?? timeZone
        var components = DateComponents(
            year: fields["y"] ?? 1970, month: fields["M"] ?? 1, day: fields["d"] ?? 1, hour: hour,
            minute: fields["m"] ?? 0, second: fields["s"] ?? 0)
        if let dayOfYear = fields["D"], fields["M"] == nil {
            components.month = 1
            components.day = dayOfYear
        }
        guard let month = components.month, (1...12).contains(month), let day = components.day, day >= 1,
            hour < 24, (components.minute ?? 0) < 60, (components.second ?? 0) < 61,
            let date = calendar.date(from: components), abs(date.timeIntervalSince1970) <= Double(maxSeconds)
        else { return nil }
        return Int64(date.timeIntervalSince1970.rounded()) * 1_000_000 + Int64(fractionMicros)
    }
}
