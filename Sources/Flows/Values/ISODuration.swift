/// A duration as Kestra reads it: ISO-8601 (`PT1H`, `P1DT2H30M`, `PT0.5S`, as Java's
/// `Duration.parse`), or the short forms Kestra's Micronaut configuration also accepts (`30s`,
/// `500ms`, `5m`, `1h`, `2d`), or a bare number of seconds (as Jackson reads a number into a `Duration`).
public struct ISODuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The length, in nanoseconds.
    public var nanoseconds: Int64

    /// Creates a duration from nanoseconds.
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// Creates a duration from whole seconds (saturating at about ±292 years).
    public init(seconds: Int64) {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self.nanoseconds = overflow ? (seconds < 0 ? Int64.min : Int64.max) : product
    }

    /// The duration in seconds, with fractions.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// The duration as a Swift `Duration`.
    public var duration: Duration { .nanoseconds(nanoseconds) }

    /// The ISO-8601 form, like `PT1H30M` or `PT0.5S`.
    public var description: String {
        if nanoseconds == 0 { return "PT0S" }
        var rest = nanoseconds.magnitude
        let sign = nanoseconds < 0 ? "-" : ""
        let hours = rest / 3_600_000_000_000
        rest %= 3_600_000_000_000
        let minutes = rest / 60_000_000_000
        rest %= 60_000_000_000
        var text = "\(sign)PT"
        if hours > 0 { text += "\(hours)H" }
        if minutes > 0 { text += "\(minutes)M" }
        if rest > 0 {
            let whole = rest / 1_000_000_000
            let fraction = rest % 1_000_000_000
            if fraction == 0 {
                text += "\(whole)S"
            } else {
                var digits = String(fraction)
                digits = String(repeating: "0", count: 9 - digits.count) + digits
                while digits.hasSuffix("0") { digits.removeLast() }
                text += "\(whole).\(digits)S"
            }
        }
        return text
    }

    /// Orders by length.
    public static func < (lhs: ISODuration, rhs: ISODuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Parses any accepted form; nil when the text is none of them.
    public static func parse(_ text: String) -> ISODuration? {
        let trimmed = text.trimmingWhitespace
        if trimmed.isEmpty { return nil }
        if let iso = parseISO(trimmed) { return iso }
        if let short = parseShort(trimmed) { return short }
        if let seconds = Double(trimmed), seconds.isFinite, abs(seconds) < 9e9 {
            return ISODuration(nanoseconds: Int64((seconds * 1e9).rounded()))
        }
        return nil
    }

    private static func parseISO(_ text: String) -> ISODuration? {
        var chars = Array(text.uppercased())
        var negative = false
        if chars.first == "-" || chars.first == "+" {
            negative = chars.first == "-"
            chars.removeFirst()
        }
        guard chars.first == "P", chars.count > 1 else { return nil }
        var index = 1
        var inTime = false
        var total: Double = 0
        var sawComponent = false
        var lastOrder = -1
        let order: [Character: Int] = ["D": 0, "H": 1, "M": 2, "S": 3]
        while index < chars.count {
            if chars[index] == "T" {
                guard !inTime else { return nil }
                inTime = true
                index += 1
                guard index < chars.count else { return nil }
                continue
            }
            var number = ""
            if chars[index] == "-" || chars[index] == "+" {
                number.append(chars[index])
                index += 1
            }
            while index < chars.count, chars[index].isNumber || chars[index] == "." || chars[index] == "," {
                number.append(chars[index] == "," ? "." : chars[index])
                index += 1
            }
            guard index < chars.count, !number.isEmpty, let value = Double(number) else { return nil }
            let unit = chars[index]
            index += 1
            guard let rank = order[unit], rank > lastOrder else { return nil }
            if unit == "D" {
                guard !inTime else { return nil }
            } else {
                guard inTime else { return nil }
            }
            if number.contains("."), unit != "S" { return nil }
            lastOrder = rank
            sawComponent = true
            switch unit {
            case "D": total += value * 86_400
            case "H": total += value * 3_600
            case "M": total += value * 60
            default: total += value
            }
        }
        guard sawComponent, total.isFinite, abs(total) < 9e9 else { return nil }
        let nanos = Int64((total * 1e9).rounded())
        return ISODuration(nanoseconds: negative ? -nanos : nanos)
    }

    private static func parseShort(_ text: String) -> ISODuration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)]
        let lower = text.lowercased()
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            let number = lower.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Double(number)
            else { continue }
            let seconds = value * factor
            guard seconds < 9e9 else { return nil }
            return ISODuration(nanoseconds: Int64((seconds * 1e9).rounded()))
        }
        return nil
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
