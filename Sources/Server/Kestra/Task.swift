import Engine

extension Kestra {
    /// A task of a flow: `id` and `type`, which every task has, and the task's other properties as they read in
    /// the flow (`commands`, `containerImage`, `values`, nested `tasks` …), which Kestra sends as the same object.
    public struct Task: Codable, Sendable, Equatable {
        public var id: String
        public var type: String
        /// Every other property, in a stable order.
        public var properties: EventObject

        public init(id: String, type: String, properties: EventObject = EventObject()) {
            self.id = id
            self.type = type
            self.properties = properties
        }

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.init(stringValue) }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            id = try container.decode(String.self, forKey: Key("id"))
            type = try container.decode(String.self, forKey: Key("type"))
            var properties = EventObject()
            for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
            where key.stringValue != "id" && key.stringValue != "type" {
                properties[key.stringValue] = try container.decode(EventValue.self, forKey: key)
            }
            self.properties = properties
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(id, forKey: Key("id"))
            try container.encode(type, forKey: Key("type"))
            for (key, value) in properties where key != "id" && key != "type" {
                try container.encode(value, forKey: Key(key))
            }
        }
    }
}
