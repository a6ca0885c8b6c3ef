import Foundation

/// Checks that rows copied from another ledger continue a ledger's chains exactly where it ends: the next `seq`,
/// the tail's hash as `prevHash`, the next version of each stream with its stream hash, and both hashes
/// recomputed. A copy keeps every row byte for byte, so both chains and the head stay the source's.
public struct ChainContinuation {
    /// The last row's link (seq 0 and the zero hash for an empty ledger).
    public private(set) var tail: ChainLink
    private var streamHeads: [String: (version: Int64, hash: SHA256Digest)]
    /// Reads a stream's head from the target ledger the first time the stream is met.
    private let streamHead: (String) throws -> (version: Int64, hash: SHA256Digest)

    public init(tail: ChainLink, streamHead: @escaping (String) throws -> (version: Int64, hash: SHA256Digest)) {
        self.tail = tail
        self.streamHeads = [:]
        self.streamHead = streamHead
    }

    /// Accepts `row` as the next row, or throws `LedgerError.invalidArgument` saying which link does not hold.
    public mutating func accept(_ row: RecordedEvent) throws {
        guard row.seq == tail.seq + 1 else {
            throw LedgerError.invalidArgument("copied seq \(row.seq) does not follow the target's last seq \(tail.seq)")
        }
        guard row.prevHash == tail.hash, row.recomputedHash() == row.hash,
            SHA256Digest.of(row.payload) == row.payloadSHA256
        else {
            throw LedgerError.invalidArgument("copied seq \(row.seq) does not continue the global hash chain")
        }
        let head = try streamHeads[row.stream] ?? streamHead(row.stream)
        let expected = HashChain.streamHash(
            prev: head.hash, stream: row.stream, version: row.version, type: row.type,
            schemaVersion: row.schemaVersion, recordedAt: row.recordedAt, payloadSHA256: row.payloadSHA256)
        guard row.version == head.version + 1, expected == row.streamHash else {
            throw LedgerError.invalidArgument(
                "copied seq \(row.seq) does not continue the hash chain of stream \(row.stream)")
        }
        streamHeads[row.stream] = (row.version, row.streamHash)
        tail = ChainLink(seq: row.seq, hash: row.hash)
    }
}
