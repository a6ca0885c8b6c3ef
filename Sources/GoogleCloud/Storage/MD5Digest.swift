import COpenSSL
import Foundation

/// An incremental MD5 through libcrypto, for checking `md5Hash` and `x-goog-hash: md5=` (integrity only).
final class MD5Digest {
    private let context: OpaquePointer

    init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_md5(), nil)
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    func update(buffer: UnsafeRawBufferPointer) {
        EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
    }

    /// The digest, Base64, as Cloud Storage writes it.
    func finalBase64() -> String {
        var out = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return Data(out.prefix(Int(length))).base64EncodedString()
    }
}

/// The CRC32C and MD5 of a file, read in 1 MiB pieces.
struct FileHashes {
    var crc32c: UInt32
    var md5Base64: String
    var size: Int64

    static func of(_ file: URL) throws -> FileHashes {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: file.path])
        }
        defer { try? handle.close() }
        var crc = CRC32C()
        let md5 = MD5Digest()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { buffer in
                crc.update(buffer: buffer)
                md5.update(buffer: buffer)
            }
            size += Int64(chunk.count)
        }
        return FileHashes(crc32c: crc.value, md5Base64: md5.finalBase64(), size: size)
    }
}
