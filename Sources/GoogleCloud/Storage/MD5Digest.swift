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
    /// Nil when it was not asked for.
    var md5Base64: String?
    var size: Int64

    static func of(_ file: URL, md5 wantsMD5: Bool = true) throws -> FileHashes {
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: file.path])
        }
        defer { close(descriptor) }
        var crc = CRC32C()
        let md5 = wantsMD5 ? MD5Digest() : nil
        var size: Int64 = 0
        // One buffer, read into again and again (a new one per piece would fault its pages in each time).
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            try Task.checkCancellation()
            let count = read(descriptor, buffer.baseAddress!, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw CocoaError(
                    .fileReadUnknown,
                    userInfo: [
                        NSFilePathErrorKey: file.path, NSLocalizedDescriptionKey: String(cString: strerror(errno)),
                    ])
            }
            if count == 0 { break }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            crc.update(buffer: piece)
            md5?.update(buffer: piece)
            size += Int64(count)
        }
        return FileHashes(crc32c: crc.value, md5Base64: md5?.finalBase64(), size: size)
    }
}

/// The CRC32C (and, when `wantsMD5` says so for the answer's headers, the MD5) of a body as it arrives, hashed on
/// a queue of their own so that hashing overlaps with receiving: the transfer's thread only copies each piece into a block and hands full blocks over, waiting when
/// `maxBlocksInFlight` are queued. The blocks are allocated once and reused, so memory stays at about
/// (`maxBlocksInFlight` + 1) × `blockSize`. Starts over when a download is attempted again.
final class StreamingHashes: TransferObserver, @unchecked Sendable {
    static let blockSize = 2 << 20
    static let maxBlocksInFlight = 4

    private let queue = DispatchQueue(label: "batchledger.storage.hashes")
    private let slots = DispatchSemaphore(value: maxBlocksInFlight)
    private let lock = NSLock()
    /// Blocks not in use, and every block ever allocated (freed at the end).
    private var free: [UnsafeMutableRawPointer] = []
    private var allocated: [UnsafeMutableRawPointer] = []
    /// Owned by the thread that calls `received` (one at a time).
    private var block: UnsafeMutableRawPointer?
    private var filled = 0
    /// Owned by `queue`.
    private var crc = CRC32C()
    private var md5: MD5Digest?
    private var size: Int64 = 0
    private let wantsMD5: @Sendable ([String: String]) -> Bool

    init(wantsMD5: @escaping @Sendable ([String: String]) -> Bool) {
        self.wantsMD5 = wantsMD5
    }

    deinit {
        // Each queued block holds a reference to this object, so none is left when it goes (and this may run on
        // `queue` itself, where waiting for the queue would never end).
        for pointer in allocated { pointer.deallocate() }
    }

    func begin(headers: [String: String]) {
        filled = 0
        let md5 = wantsMD5(headers) ? MD5Digest() : nil
        queue.sync {
            crc = CRC32C()
            self.md5 = md5
            size = 0
        }
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        guard var source = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let target = block ?? takeBlock()
            let take = min(remaining, Self.blockSize - filled)
            (target + filled).copyMemory(from: source, byteCount: take)
            filled += take
            source += take
            remaining -= take
            if filled == Self.blockSize { handOver() }
        }
    }

    private func takeBlock() -> UnsafeMutableRawPointer {
        let pointer = lock.withLock { () -> UnsafeMutableRawPointer in
            if let reused = free.popLast() { return reused }
            let fresh = UnsafeMutableRawPointer.allocate(byteCount: Self.blockSize, alignment: 64)
            allocated.append(fresh)
            return fresh
        }
        block = pointer
        filled = 0
        return pointer
    }

    /// Queues the current block for hashing; waits while `maxBlocksInFlight` are queued.
    private func handOver() {
        guard let full = block else { return }
        let count = filled
        block = nil
        filled = 0
        slots.wait()
        let address = UInt(bitPattern: full)
        queue.async { [self] in
            let full = UnsafeMutableRawPointer(bitPattern: address)!
            hash(UnsafeRawBufferPointer(start: full, count: count))
            lock.withLock { free.append(full) }
            slots.signal()
        }
    }

    private func hash(_ buffer: UnsafeRawBufferPointer) {
        crc.update(buffer: buffer)
        md5?.update(buffer: buffer)
        size += Int64(buffer.count)
    }

    /// Waits for every block to be hashed: the CRC32C, the MD5 if it was computed, and the byte count.
    func finish() async -> (crc32c: UInt32, md5Base64: String?, size: Int64) {
        handOver()
        return await withCheckedContinuation { continuation in
            queue.async { [self] in continuation.resume(returning: (crc.value, md5?.finalBase64(), size)) }
        }
    }
}
