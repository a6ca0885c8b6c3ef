import Foundation

/// One Cloud Logging entry as Batch writes it for a task's stdout or stderr line.
struct LogEntry: Sendable, Codable, Equatable {
    var logName: String
    var severity: String
    var textPayload: String
    var timestamp: Date
    var receiveTimestamp: Date
    var insertId: String
    var labels: [String: String]
    var resourceType: String
    var resourceLabels: [String: String]

    /// The wire form (`LogEntry` of logging v2).
    func json() -> JSONValue {
        .object([
            "logName": .string(logName), "severity": .string(severity), "textPayload": .string(textPayload),
            "timestamp": .string(RFC3339.format(timestamp)),
            "receiveTimestamp": .string(RFC3339.format(receiveTimestamp)), "insertId": .string(insertId),
            "labels": .object(labels.mapValues { .string($0) }),
            "resource": .object([
                "type": .string(resourceType), "labels": .object(resourceLabels.mapValues { .string($0) }),
            ]),
        ])
    }

    /// Severity order of `google.logging.type.LogSeverity`.
    static func severityRank(_ name: String) -> Int? {
        switch name.uppercased() {
        case "DEFAULT": return 0
        case "DEBUG": return 100
        case "INFO": return 200
        case "NOTICE": return 300
        case "WARNING": return 400
        case "ERROR": return 500
        case "CRITICAL": return 600
        case "ALERT": return 700
        case "EMERGENCY": return 800
        default: return Int(name)
        }
    }
}
