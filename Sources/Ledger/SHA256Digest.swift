import COpenSSL
import Foundation

/// A SHA-256 digest: 32 bytes kept inline (no heap allocation), printed as lowercase hex.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The all-zero digest that the first event of a chain points back to.
    public static let zero = SHA256Digest(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// The digest held in `bytes`, which must be 32 bytes long; nil otherwise.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var digest = SHA256Digest.zero
        digest.withUnsafeMutableBytes { target in
            for (index, byte) in bytes.enumerated() { target[index] = byte }
        }
        self = digest
    }

    /// The digest held in a 32-byte buffer (the caller checks the length).
    init(copying buffer: UnsafeRawBufferPointer) {
        var digest = SHA256Digest.zero
        digest.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer.prefix(32))) }
        self = digest
    }

    /// Parses 64 hex characters; nil for anything else.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes: bytes)
    }

    /// The digest of `data`, computed with libcrypto.
    public static func of(_ data: some ContiguousBytes) -> SHA256Digest {
        data.withUnsafeBytes { of(buffer: $0) }
    }

    /// The digest of the bytes in `buffer`.
    public static func of(buffer: UnsafeRawBufferPointer) -> SHA256Digest {
        var digest = SHA256Digest.zero
        digest.withUnsafeMutableBytes { out in
            _ = COpenSSL.SHA256(
                buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count,
                out.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
        return digest
    }

    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    private mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &words, body)
    }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        withUnsafeBytes { bytes in
            for byte in bytes {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
