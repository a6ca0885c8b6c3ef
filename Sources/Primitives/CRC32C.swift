import CCRC32C
import Foundation

/// CRC-32C (Castagnoli, RFC 4960 appendix B), as Cloud Storage reports it: 4 bytes big-endian, Base64.
/// Computed with the CPU's CRC32 instruction where there is one, so hashing keeps up with the network.
public struct CRC32C: Sendable, Equatable {
    public private(set) var value: UInt32 = 0

    public init() {}

    /// The checksum of `data` in one call.
    public static func checksum(_ data: some ContiguousBytes) -> UInt32 {
        var crc = CRC32C()
        crc.update(data)
        return crc.value
    }

    public mutating func update(_ data: some ContiguousBytes) {
        data.withUnsafeBytes { update(buffer: $0) }
    }

    public mutating func update(buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        value = batchledger_crc32c_update(value, base, buffer.count)
    }

    /// Base64 of the big-endian bytes, as in `crc32c` fields and `x-goog-hash` headers.
    public var base64: String {
        Self.base64(value)
    }

    public static func base64(_ value: UInt32) -> String {
        Data([UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)])
            .base64EncodedString()
    }

    /// Parses the Base64 form; nil when it is not 4 bytes.
    public static func parse(base64: String) -> UInt32? {
        guard let data = Data(base64Encoded: base64), data.count == 4 else { return nil }
        return data.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
