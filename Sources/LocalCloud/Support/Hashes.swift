import Foundation
import Primitives

/// The two hashes Cloud Storage keeps for every object: CRC32C and MD5, both Base64.
struct ObjectHashes: Sendable, Equatable, Codable {
    var crc32c: String
    var md5Hash: String

    /// Hashes an open file from its current offset to its end, in 1 MiB pieces (the descriptor stays open).
    static func ofDescriptor(_ descriptor: Int32) throws -> ObjectHashes {
        var crc = CRC32C()
        let md5 = Digest(.md5)
        try FileChunks.read(descriptor: descriptor, path: "descriptor \(descriptor)") { piece in
            crc.update(buffer: piece)
            md5.update(buffer: piece)
        }
        return ObjectHashes(crc32c: crc.base64, md5Hash: Data(md5.finalize()).base64EncodedString())
    }

    static func of(_ data: Data) -> ObjectHashes {
        ObjectHashes(
            crc32c: CRC32C.base64(CRC32C.checksum(data)), md5Hash: Data(Digest.of(.md5, data)).base64EncodedString())
    }
}
