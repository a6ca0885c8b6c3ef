/// A small JSON parser that keeps key order and limits nesting, for `fromJson` and `json()`.
///
/// Foundation's `JSONSerialization` loses key order, so the engine parses JSON itself.
struct JSONReader {
    /// Why a JSON text was rejected, with the 1-based character offset.
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0
    private let maxDepth: Int

    /// Parses one JSON value (surrounding whitespace allowed).
    static func parse(_ text: String, maxDepth: Int) throws(Failure) -> TemplateValue {
        var reader = JSONReader(scalars: Array(text.unicodeScalars), maxDepth: maxDepth)
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        if reader.index < reader.scalars.count { throw reader.failure("unexpected text after the JSON value") }
        return value
    }

    private init(scalars: [Unicode.Scalar], maxDepth: Int) {
        self.scalars = scalars
        self.maxDepth = maxDepth
    }

    private func failure(_ message: String) -> Failure { Failure(message: message, offset: index + 1) }

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == " " || c == "\n" || c == "\r" || c == "\t" { index += 1 }
    }

    private mutating func expect(_ word: String, _ value: TemplateValue) throws(Failure) -> TemplateValue {
        for scalar in word.unicodeScalars {
            guard current == scalar else { throw failure("invalid literal, expected '\(word)'") }
            index += 1
        }
        return value
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> TemplateValue {
        guard depth < maxDepth else { throw failure("JSON nested deeper than \(maxDepth) levels") }
        guard let c = current else { throw failure("unexpected end of JSON") }
        switch c {
        case "{": return try parseObject(depth: depth)
        case "[": return try parseArray(depth: depth)
        case "\"": return .string(try parseString())
        case "t": return try expect("true", .bool(true))
        case "f": return try expect("false", .bool(false))
        case "n": return try expect("null", .null)
        case "-", "0"..."9": return try parseNumber()
        default: throw failure("unexpected character '\(c.escaped(asASCII: true))'")
        }
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> TemplateValue {
        index += 1
        var map = OrderedMap()
        skipWhitespace()
        if current == "}" {
            index += 1
            return .map(map)
        }
        while true {
            skipWhitespace()
            guard current == "\"" else { throw failure("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard current == ":" else { throw failure("expected ':' after a key") }
            index += 1
            skipWhitespace()
            map[key] = try parseValue(depth: depth + 1)
            skipWhitespace()
            if current == "," {
                index += 1
                continue
            }
            guard current == "}" else { throw failure("expected ',' or '}' in an object") }
            index += 1
            return .map(map)
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> TemplateValue {
        index += 1
        var items: [TemplateValue] = []
        skipWhitespace()
        if current == "]" {
            index += 1
            return .list(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == "," {
                index += 1
                continue
            }
            guard current == "]" else { throw failure("expected ',' or ']' in an array") }
            index += 1
            return .list(items)
        }
    }

    private mutating func parseString() throws(Failure) -> String {
        index += 1
        var out = String.UnicodeScalarView()
        while let c = current {
            index += 1
            switch c {
            case "\"": return String(out)
            case "\\":
                guard let e = current else { break }
                index += 1
                switch e {
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "/": out.append("/")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code), current == "\\", index + 1 < scalars.count,
                        scalars[index + 1] == "u"
                    {
                        index += 2
                        let low = try parseHex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low &- 0xDC00)
                    }
                    out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: throw failure("invalid escape '\\\(e)'")
                }
            default:
                if c.value < 0x20 { throw failure("control character in a string") }
                out.append(c)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let c = current, let digit = hexDigit(c) else { throw failure("invalid \\u escape") }
            code = code * 16 + digit
            index += 1
        }
        return code
    }

    private func hexDigit(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 48
        case "a"..."f": c.value - 87
        case "A"..."F": c.value - 55
        default: nil
        }
    }

    private mutating func parseNumber() throws(Failure) -> TemplateValue {
        let start = index
        var isInteger = true
        if current == "-" { index += 1 }
        while let c = current, ("0"..."9").contains(c) { index += 1 }
        if current == "." {
            isInteger = false
            index += 1
            while let c = current, ("0"..."9").contains(c) { index += 1 }
        }
        if current == "e" || current == "E" {
            isInteger = false
            index += 1
            if current == "+" || current == "-" { index += 1 }
            while let c = current, ("0"..."9").contains(c) { index += 1 }
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars[start..<index])
        let literal = String(text)
        if isInteger, let value = Int(literal) { return .int(value) }
        guard let value = Double(literal) else { throw failure("invalid number '\(literal)'") }
        return .double(value)
    }
}
