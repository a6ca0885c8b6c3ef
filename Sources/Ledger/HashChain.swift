import Foundation

/// The two hash chains of DESIGN §3.
///
/// Layout of the hashed bytes: a 4-byte tag (`BLG1` for the global chain, `BLS1` for a stream's), the previous
/// link (32 bytes), for the global chain only the `seq` (8 bytes, big-endian), then the stream, version, type,
/// schema version and recorded time (text as a 4-byte big-endian length and UTF-8 bytes, integers as 8 bytes
/// big-endian), then the payload's SHA-256. Length prefixes make every envelope hash differently.
public enum HashChain {
    /// The global chain link of a row.
    public static func globalHash(
        prev: SHA256Digest, seq: Int64, stream: String, version: Int64, type: String, schemaVersion: Int,
        recordedAt: String, payloadSHA256: SHA256Digest
    ) -> SHA256Digest {
        link(tag: 0x424c_4731, prev: prev, seq: seq, stream, version, type, schemaVersion, recordedAt, payloadSHA256)
    }

    /// The per-stream chain link of an event; independent of `seq`, so it survives export and import.
    public static func streamHash(
        prev: SHA256Digest, stream: String, version: Int64, type: String, schemaVersion: Int, recordedAt: String,
        payloadSHA256: SHA256Digest
    ) -> SHA256Digest {
        link(tag: 0x424c_5331, prev: prev, seq: nil, stream, version, type, schemaVersion, recordedAt, payloadSHA256)
    }

    private static func link(
        tag: UInt32, prev: SHA256Digest, seq: Int64?, _ stream: String, _ version: Int64, _ type: String,
        _ schemaVersion: Int, _ recordedAt: String, _ payloadSHA256: SHA256Digest
    ) -> SHA256Digest {
        var stream = stream
        var type = type
        var recordedAt = recordedAt
        let capacity = 4 + 32 + 8 + 3 * 4 + 3 * 8 + 32 + stream.utf8.count + type.utf8.count + recordedAt.utf8.count
        return withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 8) { buffer in
            var writer = ByteWriter(buffer: buffer)
            writer.put(UInt64(tag), width: 4)
            prev.withUnsafeBytes { writer.put($0) }
            if let seq { writer.put(UInt64(bitPattern: seq), width: 8) }
            writer.put(&stream)
            writer.put(UInt64(bitPattern: version), width: 8)
            writer.put(&type)
            writer.put(UInt64(bitPattern: Int64(schemaVersion)), width: 8)
            writer.put(&recordedAt)
            payloadSHA256.withUnsafeBytes { writer.put($0) }
            return SHA256Digest.of(buffer: UnsafeRawBufferPointer(rebasing: buffer[..<writer.offset]))
        }
    }

    private struct ByteWriter {
        let buffer: UnsafeMutableRawBufferPointer
        var offset = 0

        mutating func put(_ value: UInt64, width: Int) {
            for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
                buffer[offset] = UInt8(truncatingIfNeeded: value >> UInt64(shift))
                offset += 1
            }
        }

        mutating func put(_ bytes: UnsafeRawBufferPointer) {
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + bytes.count]).copyMemory(from: bytes)
            offset += bytes.count
        }

        mutating func put(_ text: inout String) {
            put(UInt64(text.utf8.count), width: 4)
            text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        }
    }
}

extension RecordedEvent {
    /// The global hash this row should have, given its stored previous link.
    func recomputedHash() -> SHA256Digest {
        HashChain.globalHash(
            prev: prevHash, seq: seq, stream: stream, version: version, type: type, schemaVersion: schemaVersion,
            recordedAt: recordedAt, payloadSHA256: payloadSHA256)
    }
}
