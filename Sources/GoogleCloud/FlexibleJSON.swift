import Foundation

/// Decoding helpers for Google's JSON: int64 values arrive as strings (or numbers), enums as names (or integers).
extension KeyedDecodingContainer {
    func decodeInt64IfPresent(_ key: Key) throws -> Int64? {
        if let text = try? decodeIfPresent(String.self, forKey: key) {
            guard let value = Int64(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self, debugDescription: "\"\(text)\" is not an int64")
            }
            return value
        }
        return try decodeIfPresent(Int64.self, forKey: key)
    }
}

/// A JSON value of any shape, for passing through fields we do not model.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// Percent-encoding for one path segment: everything but RFC 3986 unreserved characters, so `/` becomes `%2F`.
enum PathSegment {
    static func encode(_ text: String) -> String {
        var allowed = CharacterSet()
        allowed.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// Builds a URL from an endpoint, a path whose segments are already encoded, and query items.
enum URLBuilder {
    static func url(_ base: URL, path: String, query: [(String, String?)] = []) -> URL {
        var text = base.absoluteString
        if text.hasSuffix("/") { text.removeLast() }
        text += path
        let items = query.compactMap { name, value in value.map { "\(name)=\(TokenExchange.formEncode($0))" } }
        if !items.isEmpty { text += "?" + items.joined(separator: "&") }
        return URL(string: text)!
    }
}
