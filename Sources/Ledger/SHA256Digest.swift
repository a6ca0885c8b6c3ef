import Foundation
import Primitives

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
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// The digest of `data`, computed with libcrypto.
    public static func of(_ data: some ContiguousBytes) -> SHA256Digest {
        data.withUnsafeBytes { of(buffer: $0) }
    }

    /// The digest of the bytes in `buffer`.
    public static func of(buffer: UnsafeRawBufferPointer) -> SHA256Digest {
        var digest = SHA256Digest.zero
        digest.withUnsafeMutableBytes { out in _ = Digest.of(.sha256, buffer: buffer, into: out) }
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
        withUnsafeBytes { Hex.encode($0) }
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
}
