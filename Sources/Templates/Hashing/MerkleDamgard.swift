/// Padding and bit helpers shared by the MD5 and SHA implementations.
enum MerkleDamgard {
    /// Appends the 0x80 byte, zeros, and the message length in bits, so the result is a whole number of blocks.
    static func pad(_ bytes: [UInt8], blockSize: Int, lengthBytes: Int, bigEndian: Bool) -> [UInt8] {
        var message = bytes
        message.append(0x80)
        while message.count % blockSize != blockSize - lengthBytes { message.append(0) }
        let bitLength = UInt64(bytes.count) &* 8
        var lengthField = [UInt8](repeating: 0, count: lengthBytes)
        for i in 0..<8 {
            let byte = UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))
            if bigEndian { lengthField[lengthBytes - 1 - i] = byte } else { lengthField[i] = byte }
        }
        message.append(contentsOf: lengthField)
        return message
    }

    /// Lower-case hexadecimal, as Kestra's `sha1`/`sha512`/`md5` filters print digests.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension UInt32 {
    func rotatedRight(_ n: UInt32) -> UInt32 { (self >> n) | (self << (32 - n)) }
    func rotatedLeft(_ n: UInt32) -> UInt32 { (self << n) | (self >> (32 - n)) }
    var bigEndianBytes: [UInt8] {
        [UInt8(self >> 24), UInt8(self >> 16 & 0xff), UInt8(self >> 8 & 0xff), UInt8(self & 0xff)]
    }
    var littleEndianBytes: [UInt8] { bigEndianBytes.reversed() }
}

extension UInt64 {
    func rotatedRight(_ n: UInt64) -> UInt64 { (self >> n) | (self << (64 - n)) }
    var bigEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> (56 - UInt64($0) * 8)) } }
}
