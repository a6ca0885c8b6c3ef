import Foundation
import Primitives

extension Digest {
    /// The digest in Base64, as Cloud Storage writes `md5Hash` and `x-goog-hash: md5=`; call it once.
    func finalBase64() -> String {
        Data(finalize()).base64EncodedString()
    }
}

/// The CRC32C and MD5 of a file, read in 1 MiB pieces.
struct FileHashes {
    var crc32c: UInt32
    /// Nil when it was not asked for.
    var md5Base64: String?
    var size: Int64

    /// - Throws: `FileReadError` when the file cannot be read, `CancellationError` when the task is cancelled.
    static func of(_ file: URL, md5 wantsMD5: Bool = true) throws -> FileHashes {
        var crc = CRC32C()
        let md5 = wantsMD5 ? Digest(.md5) : nil
        var size: Int64 = 0
        try FileChunks.read(file) { piece in
            try Task.checkCancellation()
            crc.update(buffer: piece)
            md5?.update(buffer: piece)
            size += Int64(piece.count)
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
    private var md5: Digest?
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
        let md5 = wantsMD5(headers) ? Digest(.md5) : nil
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
