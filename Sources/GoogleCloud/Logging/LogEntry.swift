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
