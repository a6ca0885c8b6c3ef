import Foundation

/// An instant in UTC to the nanosecond, read from RFC 3339 text and written back as RFC 3339.
///
/// The one RFC 3339 implementation of the ledger, the engine and the Google clients: the ledger writes
/// `recorded_at` with six fractional digits and a fixed width (so that text order is time order), Cloud Logging
/// filters take nine. Years outside 1 to 9999, which four digits cannot write, are written as the nearest of
/// those bounds.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// Nanoseconds after `seconds`, 0 to 999,999,999.
    public var nanos: Int32

    /// Earlier than any time a log or a ledger holds; an ordering bound, not a date to print.
    public static let distantPast = Timestamp(seconds: Int64.min / 2, nanos: 0)

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range RFC 3339's four-digit years can write.
    static let writableSeconds: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    public init(seconds: Int64, nanos: Int32) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// The instant `date`, to the nearest microsecond (a `Date`'s `Double` holds about a quarter of one at today's
    /// dates, so a time parsed from six digits comes back as written), within the years 1 to 9999 (a date beyond is
    /// taken as the nearest bound; NaN as 1970).
    public init(_ date: Date) {
        let raw = date.timeIntervalSince1970
        let interval =
            raw.isNaN
            ? 0 : min(max(raw, Double(Self.writableSeconds.lowerBound)), Double(Self.writableSeconds.upperBound))
        let whole = interval.rounded(.down)
        var seconds = Int64(whole)
        var micros = Int64(((interval - whole) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            seconds += 1
            micros -= 1_000_000
        }
        self.init(seconds: seconds, nanos: Int32(micros * 1000))
    }

    /// This instant as a `Date` (which keeps about a quarter of a microsecond at today's dates).
    public var date: Date {
        Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1_000_000_000)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
    }

    /// RFC 3339 UTC with nine fractional digits, as Cloud Logging filters accept.
    public var description: String { rfc3339(fractionDigits: 9) }

    /// `date` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the ledger's fixed-width `recorded_at`.
    public static func rfc3339(_ date: Date) -> String {
        Timestamp(date).rfc3339(fractionDigits: 6)
    }

    /// Parses RFC 3339 (`Z` or a numeric offset, with or without fractional seconds) into a `Date`.
    public static func parse(_ text: String) -> Date? {
        Timestamp(text)?.date
    }
}

extension Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS[.f…]Z` with `fractionDigits` (0 to 9) digits of the second, cut (not rounded), so a
    /// time is never written later than it is.
    public func rfc3339(fractionDigits: Int) -> String {
        precondition((0...9).contains(fractionDigits), "RFC 3339 fractions are written with 0 to 9 digits")
        let clamped = min(max(seconds, Self.writableSeconds.lowerBound), Self.writableSeconds.upperBound)
        let fraction = clamped == seconds ? Int(nanos) : 0
        let days = clamped >= 0 ? clamped / 86_400 : (clamped - 86_399) / 86_400
        let secondOfDay = Int(clamped - days * 86_400)
        let (year, month, day) = Self.civil(fromDays: Int(days))
        var text = [UInt8]()
        text.reserveCapacity(30)
        func put(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        put(year, 4)
        text.append(UInt8(ascii: "-"))
        put(month, 2)
        text.append(UInt8(ascii: "-"))
        put(day, 2)
        text.append(UInt8(ascii: "T"))
        put(secondOfDay / 3600, 2)
        text.append(UInt8(ascii: ":"))
        put(secondOfDay / 60 % 60, 2)
        text.append(UInt8(ascii: ":"))
        put(secondOfDay % 60, 2)
        if fractionDigits > 0 {
            text.append(UInt8(ascii: "."))
            var scaled = fraction
            for _ in fractionDigits..<9 { scaled /= 10 }
            put(scaled, fractionDigits)
        }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses RFC 3339: `YYYY-MM-DD`, `T` (or `t` or a space), `HH:MM:SS`, an optional fraction of 1 or more digits
    /// (the first nine are kept), then `Z` or `±HH:MM` (or `±HHMM`). Nil for anything else, trailing text included.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, is allowed: String) -> Bool {
            index < bytes.count && allowed.utf8.contains(bytes[index])
        }
        guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"),
            let day = number(8, 2), byte(10, is: "Tt "), let hour = number(11, 2), byte(13, is: ":"),
            let minute = number(14, 2), byte(16, is: ":"), let second = number(17, 2),
            (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day), hour < 24,
            minute < 60, second <= 60
        else { return nil }
        var index = 19
        var nanos = 0
        if byte(index, is: ".") {
            index += 1
            let start = index
            while let digit = number(index, 1) {
                if index - start < 9 { nanos = nanos * 10 + digit }
                index += 1
            }
            guard index > start else { return nil }
            for _ in min(index - start, 9)..<9 { nanos *= 10 }
        }
        var offset = 0
        if byte(index, is: "Zz") {
            index += 1
        } else if byte(index, is: "+-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let hours = number(index + 1, 2), hours < 24 else { return nil }
            index += 3
            if byte(index, is: ":") { index += 1 }
            guard let minutes = number(index, 2), minutes < 60 else { return nil }
            index += 2
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = Self.days(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
        self.init(seconds: seconds, nanos: Int32(nanos))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
