import Foundation
import Primitives

/// Encoding and hashing filters: `urlencode`, `urldecode`, `base64encode`, `base64decode`, `sha1`, `sha256`,
/// `sha512`, `md5`. Errors never print the input, which may be a secret.
extension Evaluator {
    func encodingFilter(_ name: String, _ input: TemplateValue, _ args: Arguments) throws(TemplateFailure)
        -> TemplateValue?
    {
        let known: Set<String> = [
            "urlencode", "urldecode", "base64encode", "base64decode", "sha1", "sha256", "sha512", "md5",
        ]
        guard known.contains(name) else { return nil }
        guard let text = try stringInput(input, args) else { return .null }
        switch name {
        case "urlencode": return .string(Self.urlEncode(text))
        case "urldecode":
            guard let decoded = Self.urlDecode(text) else { throw args.failure("the input is not valid URL encoding") }
            return .string(decoded)
        case "base64encode": return .string(Data(text.utf8).base64EncodedString())
        case "base64decode":
            let compact = text.filter { !$0.isNewline }
            guard let data = Data(base64Encoded: compact) else { throw args.failure("the input is not valid Base64") }
            return .string(String(decoding: data, as: UTF8.self))
        case "sha1": return .string(Self.hexDigest(.sha1, text))
        case "sha256": return .string(Self.hexDigest(.sha256, text))
        case "sha512": return .string(Self.hexDigest(.sha512, text))
        default: return .string(Self.hexDigest(.md5, text))
        }
    }

    /// The digest of `text`'s UTF-8 bytes in lower-case hex, as Kestra's hashing filters print it. MD5 and SHA-1
    /// serve the `md5` and `sha1` filters only, never anything that needs collision resistance.
    static func hexDigest(_ algorithm: Digest.Algorithm, _ text: String) -> String {
        Hex.encode(Digest.of(algorithm, Array(text.utf8)))
    }

    /// Java's `URLEncoder.encode(s, UTF_8)`: letters, digits and `.-*_` kept, space as `+`, the rest `%XX`.
    static func urlEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "*"),
                UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "): out += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    /// Java's `URLDecoder.decode(s, UTF_8)`; nil for a malformed `%` escape.
    static func urlDecode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        let input = Array(text.utf8)
        var i = 0
        while i < input.count {
            switch input[i] {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
                i += 1
            case UInt8(ascii: "%"):
                guard i + 2 < input.count + 0, i + 2 <= input.count - 1,
                    let byte = UInt8(String(decoding: input[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(byte)
                i += 3
            default:
                bytes.append(input[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
