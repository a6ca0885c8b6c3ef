import Flows
import Foundation
import Ledger

/// Kestra's REST API vocabulary: the JSON documents Kestra's server sends (executions, task runs, states, logs,
/// flows, validation results), as its Python SDK `kestrapy` 2.0.3 reads them with strict validation.
///
/// The types are plain `Codable` values whose coding keys are Kestra's JSON names; the mappings from what
/// BatchLedger records (`ExecutionRecord`, `Flows.Flow`, `FlowDiagnostic`) live next to them.
public enum Kestra {
    /// A JSON encoder for Kestra documents: keys as declared (camelCase), slashes unescaped, keys sorted so that
    /// the same document always gives the same bytes.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// `time` (RFC 3339, any offset, any fraction) as Kestra writes instants: UTC with six fractional digits and a
    /// `Z`; nil when the text is not a time.
    public static func date(_ time: String) -> String? {
        Timestamp(time).map(date)
    }

    /// `timestamp` as Kestra writes instants: UTC, six fractional digits, `Z`.
    public static func date(_ timestamp: Timestamp) -> String {
        timestamp.rfc3339(fractionDigits: 6)
    }

    /// The time from `start` to `end` as an ISO-8601 duration (`PT1.5S`, `PT2M3S`, `PT0S`), the form Kestra gives
    /// `java.time.Duration`; a negative span (clocks that disagree) counts as zero.
    public static func duration(from start: Timestamp, to end: Timestamp) -> String {
        let nanoseconds = (end.seconds - start.seconds) * 1_000_000_000 + Int64(end.nanos - start.nanos)
        return ISODuration(nanoseconds: max(0, nanoseconds)).description
    }
}
