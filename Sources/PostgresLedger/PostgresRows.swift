import Foundation
import Ledger
import PostgresNIO

/// How rows of the PostgreSQL ledger's `events` table read back as `RecordedEvent`s.
enum PostgresRows {
    /// The columns of `events`, in the order `event(from:)` decodes them.
    static let columns =
        "seq, stream, version, type, schema_version, recorded_at, payload, payload_sha256, prev_hash, hash, stream_hash"

    /// One row selected with `columns`.
    static func event(from row: PostgresRow) throws -> RecordedEvent {
        let (
            seq, stream, version, type, schemaVersion, recordedAt, payload, payloadDigest, prevHash, hash, streamHash
        ) =
            try row.decode(
                (
                    Int64, String, Int64, String, Int64, String, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer,
                    ByteBuffer
                )
                .self)
        return RecordedEvent(
            seq: seq, stream: stream, version: version, type: type, schemaVersion: Int(schemaVersion),
            recordedAt: recordedAt, payload: Data(payload.readableBytesView), payloadSHA256: try digest(payloadDigest),
            prevHash: try digest(prevHash), hash: try digest(hash), streamHash: try digest(streamHash))
    }

    /// A stored SHA-256 digest.
    static func digest(_ buffer: ByteBuffer) throws -> SHA256Digest {
        guard let digest = SHA256Digest(bytes: buffer.readableBytesView) else {
            throw LedgerError.invalidArgument("a stored digest is not 32 bytes")
        }
        return digest
    }
}

/// The driver logs queries at debug level; nothing below critical reaches the terminal.
func quietLogger() -> Logger {
    var logger = Logger(label: "batchledger.postgres")
    logger.logLevel = .critical
    return logger
}
