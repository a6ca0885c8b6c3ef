import Engine
import Foundation
import NIOCore

/// The fields of a form a request sends: `multipart/form-data` (Kestra's inputs, one part per input) or
/// `application/x-www-form-urlencoded`. Parsed with limits: a body that breaks them, or is not well formed, is
/// refused with what is wrong, never half read.
public struct FormData: Sendable, Equatable {
    /// One field: its name, its bytes, and the file name a file part gives.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]
        public var fileName: String?

        /// The value as text; nil when it is not UTF-8.
        public var text: String? { String(validating: value, as: UTF8.self) }
    }

    public var fields: [Field]

    /// The most fields a form may have.
    public static let maximumFields = 1_000
    /// The most bytes of one part's headers.
    static let maximumHeaderBytes = 8 << 10

    /// The form in `body`, read as `contentType` says. No content type and an empty body make an empty form.
    public init(body: ByteBuffer, contentType: String?) throws {
        let bytes = Array(body.readableBytesView)
        guard let contentType, !contentType.trimmingCharacters(in: .whitespaces).isEmpty else {
            guard bytes.isEmpty else {
                throw APIError(
                    status: 415, "the body has no Content-Type: send multipart/form-data, one part per input")
            }
            fields = []
            return
        }
        let parameters = Self.parameters(contentType)
        switch parameters.type {
        case "multipart/form-data":
            guard let boundary = parameters.values["boundary"], !boundary.isEmpty, boundary.utf8.count <= 200 else {
                throw APIError.badRequest("multipart/form-data needs a boundary parameter of 1 to 200 characters")
            }
            fields = try Self.multipart(bytes, boundary: Array(boundary.utf8))
        case "application/x-www-form-urlencoded":
            guard let text = String(validating: bytes, as: UTF8.self),
                let parsed = APIRequest(method: "POST", path: "/", query: text)
            else { throw APIError.badRequest("the form is not valid percent-encoded UTF-8") }
            fields = parsed.query.sorted { $0.key < $1.key }.flatMap { name, values in
                values.map { Field(name: name, value: Array($0.utf8), fileName: nil) }
            }
        default:
            throw APIError(
                status: 415,
                "Content-Type \(MessageQuote.quoted(parameters.type)) is not a form: send multipart/form-data")
        }
        guard fields.count <= Self.maximumFields else {
            throw APIError.badRequest("the form has more than \(Self.maximumFields) fields")
        }
    }

    /// A header value's first part (lower-cased) and its `name=value` parameters (names lower-cased, quotes
    /// removed).
    static func parameters(_ header: String) -> (type: String, values: [String: String]) {
        var parts = Self.splitParameters(header)
        let type = parts.isEmpty ? "" : parts.removeFirst().trimmingCharacters(in: .whitespaces).lowercased()
        var values: [String: String] = [:]
        for part in parts {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let name = part[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            values[name] = value
        }
        return (type, values)
    }

    /// Splits at `;` outside quotes.
    private static func splitParameters(_ header: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in header {
            if escaped {
                escaped = false
            } else if character == "\\" && quoted {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";" && !quoted {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }

    /// The parts of a multipart body (RFC 7578): each delimited by CRLF `--boundary`, with headers, a blank line,
    /// then its bytes; the last delimiter ends with `--`.
    static func multipart(_ bytes: [UInt8], boundary: [UInt8]) throws -> [Field] {
        let delimiter = Array("--".utf8) + boundary
        let crlf: [UInt8] = [13, 10]
        guard var position = Self.find(delimiter, in: bytes, from: 0), position == 0 || Self.startsLine(bytes, position)
        else { throw APIError.badRequest("the multipart body has no opening boundary") }
        var fields: [Field] = []
        while true {
            position += delimiter.count
            if bytes[position...].starts(with: Array("--".utf8)) { return fields }
            guard bytes[position...].starts(with: crlf) else {
                throw APIError.badRequest("the multipart body has a boundary not followed by a line break")
            }
            position += 2
            guard let next = Self.find(crlf + delimiter, in: bytes, from: position) else {
                throw APIError.badRequest("the multipart body ends without its closing boundary")
            }
            fields.append(try Self.part(bytes[position..<next]))
            guard fields.count <= Self.maximumFields else {
                throw APIError.badRequest("the form has more than \(Self.maximumFields) fields")
            }
            position = next + 2
        }
    }

    private static func startsLine(_ bytes: [UInt8], _ position: Int) -> Bool {
        position >= 2 && bytes[position - 2] == 13 && bytes[position - 1] == 10
    }

    /// One part: its headers (Content-Disposition: form-data; name=…; filename=…), a blank line, its bytes.
    private static func part(_ bytes: ArraySlice<UInt8>) throws -> Field {
        guard let end = Self.find([13, 10, 13, 10], in: Array(bytes), from: 0) else {
            throw APIError.badRequest("a multipart part has no blank line after its headers")
        }
        guard end <= Self.maximumHeaderBytes, let head = String(validating: bytes.prefix(end), as: UTF8.self) else {
            throw APIError.badRequest("a multipart part's headers are not UTF-8 text of at most 8 KiB")
        }
        var name: String?
        var fileName: String?
        for line in head.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            guard line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition" else {
                continue
            }
            let disposition = Self.parameters(String(line[line.index(after: colon)...]))
            guard disposition.type == "form-data" else {
                throw APIError.badRequest("a multipart part is not form-data (Content-Disposition: form-data; name=…)")
            }
            name = disposition.values["name"]
            fileName = disposition.values["filename"]
        }
        guard let name, !name.isEmpty else {
            throw APIError.badRequest("a multipart part has no name (Content-Disposition: form-data; name=…)")
        }
        return Field(name: name, value: Array(bytes.dropFirst(end + 4)), fileName: fileName)
    }

    /// The first index of `needle` in `haystack` at or after `start`: Knuth–Morris–Pratt, linear in the haystack
    /// whatever the bytes (a naive search is quadratic on a body of near-boundaries).
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start >= 0, haystack.count - start >= needle.count else { return nil }
        var failure = [Int](repeating: 0, count: needle.count)
        var length = 0
        for index in 1..<max(1, needle.count) {
            while length > 0 && needle[index] != needle[length] { length = failure[length - 1] }
            if needle[index] == needle[length] { length += 1 }
            failure[index] = length
        }
        var matched = 0
        for index in start..<haystack.count {
            while matched > 0 && haystack[index] != needle[matched] { matched = failure[matched - 1] }
            if haystack[index] == needle[matched] { matched += 1 }
            if matched == needle.count { return index - needle.count + 1 }
        }
        return nil
    }
}
