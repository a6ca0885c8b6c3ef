import CCRC32C
import COpenSSL
import Foundation

/// CRC32C (Castagnoli, RFC 4960 appendix B), as Cloud Storage reports it: 4 bytes big-endian, base64.
struct CRC32C: Sendable {
    private(set) var value: UInt32 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        value = batchledger_crc32c_update(value, base, bytes.count)
    }

    mutating func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    var base64: String {
        let v = value
        return Data([UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
            .base64EncodedString()
    }
}

/// MD5 through libcrypto's EVP interface, reported as base64 like `md5Hash`.
final class MD5Hasher {
    private let context: OpaquePointer

    init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_md5(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    func finalBase64() -> String {
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Data(digest.prefix(Int(length))).base64EncodedString()
    }
}

/// The two hashes Cloud Storage keeps for every object.
struct ObjectHashes: Sendable, Equatable, Codable {
    var crc32c: String
    var md5Hash: String

    /// Hashes an open file from its current offset to its end, in 1 MiB chunks (the descriptor stays open).
    static func ofDescriptor(_ descriptor: Int32) throws -> ObjectHashes {
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
        var crc = CRC32C()
        let md5 = MD5Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            crc.update(chunk)
            md5.update(chunk)
        }
        return ObjectHashes(crc32c: crc.base64, md5Hash: md5.finalBase64())
    }

    static func of(_ data: Data) -> ObjectHashes {
        var crc = CRC32C()
        crc.update(data)
        let md5 = MD5Hasher()
        md5.update(data)
        return ObjectHashes(crc32c: crc.base64, md5Hash: md5.finalBase64())
    }
}
