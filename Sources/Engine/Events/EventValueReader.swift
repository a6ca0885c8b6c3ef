import Foundation

/// A JSON parser that keeps object key order and number literals, producing `EventValue`s.
///
/// Foundation's `JSONDecoder` gives objects as unordered dictionaries and numbers as doubles, so the engine reads
/// script output lines and recorded payloads with this instead.
public struct EventValueReader {
    /// Why a JSON text was rejected, with the 1-based byte offset.
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var offset: Int
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    /// Deeper nesting is refused rather than risking the stack.
    static let maxDepth = 512

    private let bytes: [UInt8]
    private var index = 0

    /// Parses one JSON value (surrounding whitespace allowed).
    static func parse(_ bytes: [UInt8]) throws(Failure) -> EventValue {
        var reader = EventValueReader(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        if reader.index < bytes.count { throw reader.failure("unexpected text after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func failure(_ message: String) -> Failure { Failure(message: message, offset: index + 1) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 }
    }

    private mutating func expect(_ word: String, _ value: EventValue) throws(Failure) -> EventValue {
        for byte in word.utf8 {
            guard current == byte else { throw failure("invalid literal, expected '\(word)'") }
            index += 1
        }
        return value
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> EventValue {
        guard depth < Self.maxDepth else { throw failure("JSON nested deeper than \(Self.maxDepth) levels") }
        guard let c = current else { throw failure("unexpected end of JSON") }
        switch c {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected character '\(Unicode.Scalar(c).escaped(asASCII: true))'")
        }
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> EventValue {
        index += 1
        var entries: [(key: String, value: EventValue)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(EventObject(entries))
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after a key") }
            index += 1
            skipWhitespace()
            entries.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard current == UInt8(ascii: "}") else { throw failure("expected ',' or '}' in an object") }
            index += 1
            return .object(EventObject(entries))
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> EventValue {
        index += 1
        var items: [EventValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard current == UInt8(ascii: "]") else { throw failure("expected ',' or ']' in an array") }
            index += 1
            return .array(items)
        }
    }

    private mutating func parseString() throws(Failure) -> String {
        index += 1
        var out: [UInt8] = []
        while let c = current {
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw failure("a string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                guard let e = current else { throw failure("unterminated string") }
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code), current == UInt8(ascii: "\\"), index + 1 < bytes.count,
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("invalid surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8)
                default: throw failure("invalid escape '\\\(Unicode.Scalar(e).escaped(asASCII: true))'")
                }
            default:
                if c < 0x20 { throw failure("control character in a string") }
                out.append(c)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let c = current, let digit = Self.hexDigit(c) else { throw failure("invalid \\u escape") }
            code = code * 16 + digit
            index += 1
        }
        return code
    }

    private static func hexDigit(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c) - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c) - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(c) - 55
        default: nil
        }
    }

    private mutating func parseNumber() throws(Failure) -> EventValue {
        let start = index
        let isNumberByte: (UInt8) -> Bool = { c in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
        }
        while let c = current, isNumberByte(c) { index += 1 }
        let literal = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let number = EventNumber(literal: literal) else { throw failure("invalid number '\(literal)'") }
        return .number(number)
    }
}
