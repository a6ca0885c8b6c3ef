extension Kestra {
    /// A label: Kestra always sends labels as a list of these, never as a map. A key starts with a lowercase letter
    /// (`^[\p{Ll}][\p{L}0-9._-]*$`).
    public struct Label: Codable, Sendable, Hashable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }

        /// The label Kestra puts on every execution, naming the execution that started the chain it belongs to.
        public static let correlationIdKey = "system.correlationId"
    }
}
