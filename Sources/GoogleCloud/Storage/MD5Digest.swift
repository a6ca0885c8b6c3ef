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
            try Task.checkCancellation()
            chunk.withUnsafeBytes { buffer in
                crc.update(buffer: buffer)
                md5.update(buffer: buffer)
            }
            size += Int64(chunk.count)
        }
        return FileHashes(crc32c: crc.value, md5Base64: md5.finalBase64(), size: size)
    }
}

/// The CRC32C and MD5 of a body as it arrives, hashed on a queue of their own so that hashing overlaps with
/// receiving: the transfer's thread only copies each piece into a block and hands full blocks over, waiting when
/// `maxBlocksInFlight` are queued (so memory stays bounded at about 5 × `blockSize`). Starts over when a download
/// is attempted again.
final class StreamingHashes: TransferObserver, @unchecked Sendable {
    static let blockSize = 2 << 20
    static let maxBlocksInFlight = 4

    private let queue = DispatchQueue(label: "batchledger.storage.hashes")
    private let slots = DispatchSemaphore(value: maxBlocksInFlight)
    /// Owned by the thread that calls `received` (one at a time).
    private var block = Data()
    /// Owned by `queue`.
    private var crc = CRC32C()
    private var md5 = MD5Digest()
    private var size: Int64 = 0

    func restart() {
        block = Data()
        queue.sync {
            crc = CRC32C()
            md5 = MD5Digest()
            size = 0
        }
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            if block.isEmpty { block.reserveCapacity(Self.blockSize) }
            let take = min(rest.count, Self.blockSize - block.count)
            block.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<take]))
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if block.count == Self.blockSize { handOver() }
        }
    }

    private func handOver() {
        let full = block
        block = Data()
        slots.wait()
        queue.async { [self] in
            hash(full)
            slots.signal()
        }
    }

    private func hash(_ data: Data) {
        data.withUnsafeBytes { buffer in
            crc.update(buffer: buffer)
            md5.update(buffer: buffer)
        }
        size += Int64(data.count)
    }

    /// Waits for every block to be hashed.
    func finish() -> FileHashes {
        let last = block
        block = Data()
        return queue.sync {
            hash(last)
            return FileHashes(crc32c: crc.value, md5Base64: md5.finalBase64(), size: size)
        }
    }
}
