import Foundation

/// A Cloud Logging entry, as `entries:list` returns it.
public struct LogEntry: Decodable, Sendable, Equatable {
    public var logName: String?
    /// RFC 3339, 0 to 9 fractional digits.
    public var timestamp: String
    public var insertId: String
    public var severity: String
    public var labels: [String: String]
    public var textPayload: String?
    public var jsonPayload: JSONValue?

    public init(
        logName: String? = nil, timestamp: String, insertId: String, severity: String = "DEFAULT",
        labels: [String: String] = [:], textPayload: String? = nil, jsonPayload: JSONValue? = nil
    ) {
        self.logName = logName
        self.timestamp = timestamp
        self.insertId = insertId
        self.severity = severity
        self.labels = labels
        self.textPayload = textPayload
        self.jsonPayload = jsonPayload
    }

    enum CodingKeys: String, CodingKey {
        case logName, timestamp, insertId, severity, labels, textPayload, jsonPayload
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        logName = try container.decodeIfPresent(String.self, forKey: .logName)
        timestamp = try container.decodeIfPresent(String.self, forKey: .timestamp) ?? ""
        insertId = try container.decodeIfPresent(String.self, forKey: .insertId) ?? ""
        if let number = try? container.decodeIfPresent(Int.self, forKey: .severity) {
            severity = LogSeverity.name(number)
        } else {
            severity = try container.decodeIfPresent(String.self, forKey: .severity) ?? "DEFAULT"
        }
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        textPayload = try container.decodeIfPresent(String.self, forKey: .textPayload)
        jsonPayload = try container.decodeIfPresent(JSONValue.self, forKey: .jsonPayload)
    }

    /// The line to show: the text payload, or the JSON payload's `message`, or the JSON itself.
    public var text: String {
        if let textPayload { return textPayload }
        if case .object(let object)? = jsonPayload {
            if case .string(let message)? = object["message"] { return message }
        }
        if let jsonPayload, let data = try? JSONEncoder().encode(jsonPayload) {
            return String(decoding: data, as: UTF8.self)
        }
        return ""
    }

    /// Where this entry sits in the log's order: (timestamp, insertId).
    public var position: LogCursor {
        LogCursor(timestamp: LogTimestamp(timestamp) ?? .distantPast, insertId: insertId)
    }
}

/// Severity numbers of `LogSeverity`.
enum LogSeverity {
    static func name(_ number: Int) -> String {
        [
            0: "DEFAULT", 100: "DEBUG", 200: "INFO", 300: "NOTICE", 400: "WARNING", 500: "ERROR", 600: "CRITICAL",
            700: "ALERT", 800: "EMERGENCY",
        ][number] ?? String(number)
    }
}

/// A log timestamp to the nanosecond, ordered.
public struct LogTimestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var seconds: Int64
    public var nanos: Int32

    public static let distantPast = LogTimestamp(seconds: Int64.min / 2, nanos: 0)

    public init(seconds: Int64, nanos: Int32) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// Parses RFC 3339 (`Z` or `±hh:mm` / `±hhmm`, 0–9 fractional digits).
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var index = 19
        var nanos = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                if digits < 9 { nanos = nanos * 10 + Int(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            for _ in min(digits, 9)..<9 { nanos *= 10 }
        }
        var offset = 0
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            offset = 0
        } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let hours = number(index + 1, 2) else { return nil }
            let minutesStart = bytes.count > index + 3 && bytes[index + 3] == UInt8(ascii: ":") ? index + 4 : index + 3
            let minutes = number(minutesStart, 2) ?? 0
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        // Days since 1970-01-01 (civil-from-days inverse, Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        seconds = Int64(days * 86400 + hour * 3600 + minute * 60 + second - offset)
        self.nanos = Int32(nanos)
    }

    public static func < (lhs: LogTimestamp, rhs: LogTimestamp) -> Bool {
        (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
    }

    /// RFC 3339 UTC with nine fractional digits, as filters accept.
    public var description: String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(nanos))
    }
}

/// The position after the last entry delivered: entries at or before it are not delivered again.
public struct LogCursor: Sendable, Hashable, Comparable, Codable {
    public var timestamp: LogTimestamp
    public var insertId: String

    public init(timestamp: LogTimestamp, insertId: String) {
        self.timestamp = timestamp
        self.insertId = insertId
    }

    public static let start = LogCursor(timestamp: .distantPast, insertId: "")

    public static func < (lhs: LogCursor, rhs: LogCursor) -> Bool {
        (lhs.timestamp, lhs.insertId) < (rhs.timestamp, rhs.insertId)
    }
}
