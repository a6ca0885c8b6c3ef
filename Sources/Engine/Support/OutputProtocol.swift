import Foundation

/// Kestra's script output protocol: a whole line `::{…}::` with `outputs`, `metrics` and `logs`.
public enum OutputProtocol {
    /// What one log line turned out to be.
    public enum Line: Equatable, Sendable {
        /// An ordinary line, to show and store.
        case plain
        /// A protocol line: not shown as a log line.
        case message(Message)
        /// A protocol line whose JSON is invalid: ignored, with a warning.
        case invalid(String)
    }

    public struct Message: Equatable, Sendable {
        public var outputs: [String: EventValue] = [:]
        public var metrics: [Metric] = []
        /// (level, message) pairs, levels as slf4j names (TRACE, DEBUG, INFO, WARN, ERROR).
        public var logs: [(level: String, message: String)] = []

        public static func == (lhs: Message, rhs: Message) -> Bool {
            lhs.outputs == rhs.outputs && lhs.metrics == rhs.metrics
                && lhs.logs.map { "\($0.level)\u{0}\($0.message)" } == rhs.logs.map { "\($0.level)\u{0}\($0.message)" }
        }
    }

    /// Classifies a line as Kestra does: the regex `^::(\{.*})::$` over the whole line (one final line
    /// terminator tolerated).
    public static func parse(_ raw: String) -> Line {
        var line = Substring(raw)
        // "\r\n" is one Character in Swift: one dropLast removes either terminator.
        if line.hasSuffix("\r\n") || line.hasSuffix("\n") { line = line.dropLast() }
        guard line.hasPrefix("::{"), line.hasSuffix("}::"), line.count >= 6 else { return .plain }
        let json = line.dropFirst(2).dropLast(2)
        guard case .object(let object)? = try? EventValue.parse(String(json)) else {
            return .invalid("Invalid outputs '\(json.prefix(200))'")
        }
        var message = Message()
        if case .object(let outputs)? = object["outputs"] {
            // A repeated output name keeps its last value, as a JSON object read into a map does.
            for entry in outputs { message.outputs[entry.key] = entry.value }
        }
        if case .array(let metrics)? = object["metrics"] {
            for case .object(let metric) in metrics {
                guard case .string(let name)? = metric["name"], case .number(let number)? = metric["value"] else {
                    continue
                }
                var type = "counter"
                if case .string(let kind)? = metric["type"] { type = kind }
                var tags: [String: String] = [:]
                if case .object(let tagObject)? = metric["tags"] {
                    for (key, tagValue) in tagObject {
                        if case .string(let text) = tagValue {
                            tags[key] = text
                        } else {
                            tags[key] = tagValue.compactText
                        }
                    }
                }
                message.metrics.append(Metric(name: name, type: type, value: number.double, tags: tags))
            }
        }
        if case .array(let logs)? = object["logs"] {
            for case .object(let log) in logs {
                var level = "INFO"
                if case .string(let name)? = log["level"] { level = name }
                if case .string(let text)? = log["message"] { message.logs.append((level, text)) }
            }
        }
        return .message(message)
    }
}
