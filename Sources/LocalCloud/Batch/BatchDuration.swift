import Foundation

/// The `google.protobuf.Duration` fields of a Batch job (`maxRunDuration`, a runnable's `timeout`), read strictly:
/// decimal seconds with at most nine fractional digits and an `s`, within protobuf's range, so that no value a
/// client sends can overflow when the emulator turns it into a timer.
enum BatchDuration {
    /// protobuf's largest Duration: 10,000 years in seconds (plus up to 0.999999999s).
    static let maxSeconds: Double = 315_576_000_000

    /// Seconds of `text` (`"3600s"`, `"0.5s"`); nil when it is not a duration in range.
    static func seconds(_ text: String) -> Double? {
        guard text.hasSuffix("s") else { return nil }
        let number = text.dropLast().split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = number.first, !whole.isEmpty, whole.count <= 12,
            whole.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        if number.count == 2 {
            let fraction = number[1]
            guard (1...9).contains(fraction.count), fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return nil
            }
        }
        guard let wholeSeconds = Int64(whole), Double(wholeSeconds) <= maxSeconds, let value = Double(text.dropLast())
        else { return nil }
        return value
    }

    /// Validates the duration at `path` of a create body; a 400 naming the field otherwise.
    static func validate(_ value: JSONValue, path: String, example: String) throws(APIError) {
        guard let text = value.stringValue, seconds(text) != nil else {
            let shown = APIError.excerpt(value.stringValue ?? "a non-string value")
            throw APIError.invalidArgument(
                "Invalid value at '\(path)' (\(shown)): expected a duration in seconds like \"\(example)\", "
                    + "from 0s to \(Int64(maxSeconds))s")
        }
    }

    /// A timer for `seconds`, saturated to protobuf's range (a stored job written by an older emulator may hold a
    /// value that was never checked).
    static func timer(seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        return .milliseconds(Int64((min(seconds, maxSeconds) * 1000).rounded(.up)))
    }
}
