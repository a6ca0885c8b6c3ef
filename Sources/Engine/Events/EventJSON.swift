import Foundation
import Ledger

/// One recorded event as a JSON object, the shape `batchledger events --json` prints on each line and the API's
/// `events` and `audit` routes answer: `seq`, `execution`, `version`, `type`, `schema_version`, `recorded_at`,
/// `task_run` (or null), `summary` (`EventDescription`), and the payload itself (base64 text when the payload is
/// not JSON, which an imported ledger may hold).
public enum EventJSON {
    /// The object's bytes, without a line end.
    public static func object(_ event: RecordedEvent) -> [UInt8] {
        let description = EventDescription(event)
        var bytes = Array("{\"seq\":\(event.seq),\"execution\":".utf8)
        bytes += string(event.stream)
        bytes += Array(",\"version\":\(event.version),\"type\":".utf8) + string(event.type)
        bytes += Array(",\"schema_version\":\(event.schemaVersion),\"recorded_at\":".utf8)
        bytes += string(event.recordedAt)
        bytes += Array(",\"task_run\":".utf8) + (description.taskRun.map(string) ?? Array("null".utf8))
        bytes += Array(",\"summary\":".utf8) + string(description.summary)
        let payloadIsJSON =
            (try? JSONSerialization.jsonObject(with: event.payload, options: [.fragmentsAllowed])) != nil
        bytes += Array(",\"payload\":".utf8)
        bytes += payloadIsJSON ? [UInt8](event.payload) : string(event.payload.base64EncodedString())
        bytes += Array("}".utf8)
        return bytes
    }

    /// `events` as one JSON array of their objects.
    public static func array(_ events: some Sequence<RecordedEvent>) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in events.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += object(event)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }

    private static func string(_ text: String) -> [UInt8] {
        let data =
            (try? JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes]))
        return data.map { [UInt8]($0) } ?? Array("\"\"".utf8)
    }
}
