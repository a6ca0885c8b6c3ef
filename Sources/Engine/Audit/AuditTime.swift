import Foundation
import Ledger

/// Times as `audit` takes them.
public enum AuditTime {
    /// The range a time may fall in: the years 1 through 9999, which RFC 3339 can write (and `recorded_at`
    /// compares against as text).
    public static let earliest = Date(timeIntervalSince1970: -62_135_596_800)
    public static let latest = Date(timeIntervalSince1970: 253_402_300_799)

    /// RFC 3339, a date (UTC midnight), or an age before now (`90m`, `24h`, `7d`, `2w`); nil for anything
    /// else, and for a time outside the years 1 to 9999 (`1e20s` is an age, but not one a time can have).
    public static func parse(_ text: String, now: Date = Date()) -> Date? {
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
