import Foundation

/// CRC-32C (Castagnoli, RFC 4960 appendix B), as Cloud Storage reports it: 4 bytes big-endian, Base64.
/// Slicing-by-8, so hashing keeps up with the network.
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
        var crc = ~value
        var index = 0
        let count = buffer.count
        Self.tables.withUnsafeBufferPointer { table in
            while count - index >= 8 {
                let low =
                    UInt32(buffer[index]) | UInt32(buffer[index + 1]) << 8 | UInt32(buffer[index + 2]) << 16
                    | UInt32(buffer[index + 3]) << 24
                let one = crc ^ low
                crc =
                    table[7 * 256 + Int(one & 0xff)] ^ table[6 * 256 + Int((one >> 8) & 0xff)]
                    ^ table[5 * 256 + Int((one >> 16) & 0xff)] ^ table[4 * 256 + Int(one >> 24)]
                    ^ table[3 * 256 + Int(buffer[index + 4])] ^ table[2 * 256 + Int(buffer[index + 5])]
                    ^ table[1 * 256 + Int(buffer[index + 6])] ^ table[Int(buffer[index + 7])]
                index += 8
            }
            while index < count {
                crc = table[Int((crc ^ UInt32(buffer[index])) & 0xff)] ^ (crc >> 8)
                index += 1
            }
        }
        value = ~crc
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

    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 {
                crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
            tables[byte] = crc
        }
        for byte in 0..<256 {
            var crc = tables[byte]
            for slice in 1..<8 {
                crc = tables[Int(crc & 0xff)] ^ (crc >> 8)
                tables[slice * 256 + byte] = crc
            }
        }
        return tables
    }()
}
