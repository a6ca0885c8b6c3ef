/// JSON conversion for the code around the engine: script outputs (`::{"outputs":…}::`) and ledger records come in
/// as JSON and become `outputs.<task>.vars`.
extension TemplateValue {
    /// Why a JSON text could not be read: the message and the 1-based character offset.
    public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// 1-based character (Unicode scalar) offset.
        public var offset: Int
        /// `invalid JSON at character N: message`.
        public var description: String { "invalid JSON at character \(offset): \(message)" }
    }

    /// Parses JSON, keeping object key order; nesting beyond `maxDepth` is an error, never a stack overflow.
    public static func parseJSON(_ text: String, maxDepth: Int = 256) throws(JSONError) -> TemplateValue {
        do {
            return try JSONReader.parse(text, maxDepth: maxDepth)
        } catch {
            throw JSONError(message: error.message, offset: error.offset)
        }
    }

    /// Compact JSON (Jackson style: no spaces, keys in insertion order).
    public var json: String { jsonText }

    /// The text `{{ value }}` prints: strings as is, null as nothing, lists and maps as JSON.
    public var renderedText: String { outputText }
}
