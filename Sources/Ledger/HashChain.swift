import Foundation

/// The two hash chains of DESIGN §3. Fields are length-prefixed so that no two different envelopes hash the same.
public enum HashChain {
    /// The global chain link of a row.
    public static func globalHash(
        prev: SHA256Digest, seq: Int64, stream: String, version: Int64, type: String, schemaVersion: Int,
        recordedAt: String, payloadSHA256: SHA256Digest
    ) -> SHA256Digest {
        var buffer = [UInt8]()
        buffer.reserveCapacity(160 + stream.utf8.count + type.utf8.count)
        buffer.append(contentsOf: [0x42, 0x4c, 0x47, 0x31])  // "BLG1"
        buffer.append(contentsOf: prev.bytes)
        append(seq, to: &buffer)
        appendMetadata(stream, version, type, schemaVersion, recordedAt, to: &buffer)
        buffer.append(contentsOf: payloadSHA256.bytes)
        return SHA256Digest.of(buffer)
    }

    /// The per-stream chain link of an event; independent of `seq`, so it survives export and import.
    public static func streamHash(
        prev: SHA256Digest, stream: String, version: Int64, type: String, schemaVersion: Int, recordedAt: String,
        payloadSHA256: SHA256Digest
    ) -> SHA256Digest {
        var buffer = [UInt8]()
        buffer.reserveCapacity(160 + stream.utf8.count + type.utf8.count)
        buffer.append(contentsOf: [0x42, 0x4c, 0x53, 0x31])  // "BLS1"
        buffer.append(contentsOf: prev.bytes)
        appendMetadata(stream, version, type, schemaVersion, recordedAt, to: &buffer)
        buffer.append(contentsOf: payloadSHA256.bytes)
        return SHA256Digest.of(buffer)
    }

    private static func appendMetadata(
        _ stream: String, _ version: Int64, _ type: String, _ schemaVersion: Int, _ recordedAt: String,
        to buffer: inout [UInt8]
    ) {
        append(stream, to: &buffer)
        append(version, to: &buffer)
        append(type, to: &buffer)
        append(Int64(schemaVersion), to: &buffer)
        append(recordedAt, to: &buffer)
    }

    private static func append(_ value: Int64, to buffer: inout [UInt8]) {
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) {
            buffer.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    private static func append(_ value: String, to buffer: inout [UInt8]) {
        let count = UInt32(value.utf8.count)
        for shift in stride(from: 24, through: 0, by: -8) {
            buffer.append(UInt8(truncatingIfNeeded: count >> UInt32(shift)))
        }
        buffer.append(contentsOf: value.utf8)
    }
}

extension RecordedEvent {
    /// Whether the stored payload digest, global hash and stream hash agree with the row's content, given the
    /// previous links.
    func recomputedHash() -> SHA256Digest {
        HashChain.globalHash(
            prev: prevHash, seq: seq, stream: stream, version: version, type: type, schemaVersion: schemaVersion,
            recordedAt: recordedAt, payloadSHA256: payloadSHA256)
    }
}
