import Foundation
import Synchronization
import Ledger

/// How the engine writes and reads event payloads: the ledger's canonical JSON (struct fields in sorted key
/// order, slashes unescaped), with every `EventValue` inside written verbatim, objects in their kept order.
///
/// `JSONEncoder` sorts every object's keys and `JSONDecoder` forgets their order, so an `EventValue` cannot keep
/// its order through them alone. Encoding puts a unique placeholder string where each value goes and then
/// splices in the value's own text; decoding parses the payload once with `EventValueReader` and lets each
/// `EventValue` take its part of that tree by its coding path. Decoding a recorded payload and encoding it again
/// therefore gives the same bytes, for payloads recorded before this type too (their objects were written with
/// sorted keys, and are read back in that order).
public enum PayloadJSON {
    /// The canonical bytes of `value`, with `EventValue`s in their kept order.
    public static func encode(_ value: some Encodable) throws -> Data {
        let splices = Splices()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.userInfo[Splices.key] = splices
        var data = try encoder.encode(value)
        for (placeholder, text) in splices.all() {
            let quoted = Data(EventValue.quoted(placeholder).utf8)
            guard let range = data.range(of: quoted) else {
                throw EncodingError.invalidValue(
                    value,
                    EncodingError.Context(
                        codingPath: [], debugDescription: "a JSON value's placeholder is missing from the payload"))
            }
            data.replaceSubrange(range, with: Data(text.utf8))
        }
        return data
    }

    /// Reads `type` from payload bytes, giving each `EventValue` its recorded key order and number text.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        // Parsed in order only if the payload holds an `EventValue` (most events hold none).
        decoder.userInfo[RecordedTree.key] = RecordedTree(data)
        return try decoder.decode(type, from: data)
    }

    /// The values to splice into one payload, by placeholder.
    final class Splices: @unchecked Sendable {
        static let key = CodingUserInfoKey(rawValue: "batchledger.eventValueSplices")!
        private let nonce = UUID().uuidString
        private let lock = NSLock()
        private var list: [(placeholder: String, text: String)] = []

        /// Registers `value` and returns the placeholder string to encode in its place.
        func placeholder(for value: EventValue) -> String {
            let text = value.compactText
            return lock.withLock {
                let placeholder = "\u{1}eventvalue-\(nonce)-\(list.count)\u{1}"
                list.append((placeholder, text))
                return placeholder
            }
        }

        func all() -> [(placeholder: String, text: String)] { lock.withLock { list } }
    }

    /// The whole payload as parsed in order, for `EventValue`s to find their part in: parsed when the first
    /// `EventValue` asks, once.
    final class RecordedTree: Sendable {
        static let key = CodingUserInfoKey(rawValue: "batchledger.eventValueTree")!
        private let data: Data
        /// Nil until first asked; then the parsed payload, or nil inside when it does not parse in order.
        private let parsed = Mutex<EventValue??>(nil)

        init(_ data: Data) { self.data = data }

        private var root: EventValue? {
            parsed.withLock { parsed in
                if let parsed { return parsed }
                let tree = try? EventValue.parse(data)
                parsed = .some(tree)
                return tree
            }
        }

        /// The value at `path` (object keys by name, array elements by index); nil when the path leads nowhere.
        func value(at path: [any CodingKey]) -> EventValue? {
            guard var node = root else { return nil }
            for key in path {
                switch node {
                case .object(let object):
                    guard let next = object[key.stringValue] else { return nil }
                    node = next
                case .array(let items):
                    guard let index = key.intValue, items.indices.contains(index) else { return nil }
                    node = items[index]
                default:
                    return nil
                }
            }
            return node
        }
    }
}

extension EventValue: Codable {
    public init(from decoder: any Decoder) throws {
        if let tree = decoder.userInfo[PayloadJSON.RecordedTree.key] as? PayloadJSON.RecordedTree,
            let value = tree.value(at: decoder.codingPath)
        {
            self = value
            return
        }
        self = try Self.decodeWithoutOrder(from: decoder)
    }

    /// Reads a value from a decoder that does not keep key order: objects come back with sorted keys.
    private static func decodeWithoutOrder(from decoder: any Decoder) throws -> EventValue {
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() { return .null }
            if let value = try? container.decode(Bool.self) { return .bool(value) }
            if let value = try? container.decode(Int64.self) { return .number(EventNumber(value)) }
            if let value = try? container.decode(Double.self), let number = EventNumber(value) {
                return .number(number)
            }
            if let value = try? container.decode(String.self) { return .string(value) }
        }
        if var items = try? decoder.unkeyedContainer() {
            var values: [EventValue] = []
            while !items.isAtEnd { values.append(try items.decode(EventValue.self)) }
            return .array(values)
        }
        let container = try decoder.container(keyedBy: AnyKey.self)
        var entries: [(key: String, value: EventValue)] = []
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            entries.append((key.stringValue, try container.decode(EventValue.self, forKey: key)))
        }
        return .object(EventObject(entries))
    }

    public func encode(to encoder: any Encoder) throws {
        if let splices = encoder.userInfo[PayloadJSON.Splices.key] as? PayloadJSON.Splices {
            var container = encoder.singleValueContainer()
            try container.encode(splices.placeholder(for: self))
            return
        }
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .number(let number):
            var container = encoder.singleValueContainer()
            if let value = number.int64 {
                try container.encode(value)
            } else if let value = Decimal(string: number.literal) {
                try container.encode(value)
            } else {
                try container.encode(number.double)
            }
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .object(let object):
            var container = encoder.container(keyedBy: AnyKey.self)
            for entry in object.entries { try container.encode(entry.value, forKey: AnyKey(entry.key)) }
        }
    }

    /// A coding key for any object member name.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}
