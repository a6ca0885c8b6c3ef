import Foundation

/// A JSON value as the engine records it in event payloads: objects keep their key order and numbers keep their
/// exact text, so a map input or an output read back from the ledger is the value that was recorded.
///
/// Payloads written by `PayloadJSON` hold each value verbatim (objects in their kept order), and payloads read
/// through `PayloadJSON` get the value back as written: decoding a recorded payload and encoding it again gives
/// the same bytes. Under a plain `JSONEncoder`/`JSONDecoder` the value still codes as ordinary JSON, but a
/// decoder that does not keep key order gives objects with their keys sorted.
public enum EventValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(EventNumber)
    case string(String)
    case array([EventValue])
    case object(EventObject)
}

/// A JSON number as written: its literal text, so an integer beyond 2^53 or a decimal such as `0.10` is kept
/// exactly.
public struct EventNumber: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral
{
    /// The number's JSON text (`42`, `-0.5`, `1e+20`).
    public let literal: String

    /// An integer, written in decimal.
    public init(_ value: Int64) { literal = String(value) }

    /// A floating-point number, written as `JSONEncoder` writes it (`2` for 2.0); nil for NaN or infinity,
    /// which JSON cannot hold.
    public init?(_ value: Double) {
        guard value.isFinite, let data = try? JSONEncoder().encode(value) else { return nil }
        literal = String(decoding: data, as: UTF8.self)
    }

    /// The number whose JSON text is `literal`; nil when it is not a JSON number.
    public init?(literal: String) {
        guard Self.isJSONNumber(literal) else { return nil }
        self.literal = literal
    }

    public init(integerLiteral value: Int64) { self.init(value) }

    public init(floatLiteral value: Double) { self = EventNumber(value) ?? EventNumber(0) }

    /// The value as an integer when the text is one (no fraction, no exponent) and fits in 64 bits.
    public var int64: Int64? { Int64(literal) }

    /// The value as a double (rounded when the text holds more precision than a double).
    public var double: Double { Double(literal) ?? 0 }

    public var description: String { literal }

    /// Whether `text` follows JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func isJSONNumber(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }
}

/// A JSON object that keeps its members in the order they were written.
public struct EventObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// The members, in order. A text with a repeated key keeps every occurrence, so it is written back as read.
    public private(set) var entries: [(key: String, value: EventValue)] = []

    /// An empty object.
    public init() {}

    /// An object holding `pairs` in order, as given.
    public init(_ pairs: [(key: String, value: EventValue)]) { entries = pairs }

    /// An object from a dictionary literal, in the literal's order.
    public init(dictionaryLiteral elements: (String, EventValue)...) {
        entries = elements.map { (key: $0.0, value: $0.1) }
    }

    /// The value of the last member named `key`; setting replaces it in place, or appends a new member;
    /// setting nil removes every member of that name.
    public subscript(key: String) -> EventValue? {
        get { entries.last { $0.key == key }?.value }
        set {
            if let newValue {
                if let index = entries.lastIndex(where: { $0.key == key }) {
                    entries[index].value = newValue
                } else {
                    entries.append((key, newValue))
                }
            } else {
                entries.removeAll { $0.key == key }
            }
        }
    }

    /// The keys, in order.
    public var keys: [String] { entries.map(\.key) }

    public var count: Int { entries.count }

    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[(key: String, value: EventValue)]> {
        entries.makeIterator()
    }

    /// The object with `transform` applied to each value; keys and order stay.
    public func mapValues(_ transform: (EventValue) throws -> EventValue) rethrows -> EventObject {
        EventObject(try entries.map { (key: $0.key, value: try transform($0.value)) })
    }

    public static func == (lhs: EventObject, rhs: EventObject) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension EventValue {
    /// The value's compact JSON text: objects in their kept order, numbers as written, strings escaped as
    /// `JSONEncoder` escapes them (slashes left alone).
    public var compactText: String {
        var out = ""
        write(to: &out)
        return out
    }

    /// Appends the compact JSON text to `out`.
    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let number): out += number.literal
        case .string(let text): out += Self.quoted(text)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (index, entry) in object.entries.enumerated() {
                if index > 0 { out += "," }
                out += Self.quoted(entry.key)
                out += ":"
                entry.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// `text` as a JSON string, exactly as the ledger's `CanonicalJSON` writes strings.
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(text) else { return "\"\"" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses one JSON text, keeping key order and number literals.
    public static func parse(_ text: String) throws(EventValueReader.Failure) -> EventValue {
        try EventValueReader.parse(Array(text.utf8))
    }

    /// Parses one JSON text given as UTF-8 bytes, keeping key order and number literals.
    public static func parse(_ data: Data) throws(EventValueReader.Failure) -> EventValue {
        try EventValueReader.parse(Array(data))
    }
}
