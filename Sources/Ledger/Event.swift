import Foundation

/// An event about to be appended: its type, the schema version of its payload, and the payload as canonical
/// JSON bytes (see `CanonicalJSON`).
public struct NewEvent: Sendable, Equatable {
    public var type: String
    public var schemaVersion: Int
    public var payload: Data

    public init(type: String, schemaVersion: Int = 1, payload: Data) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.payload = payload
    }

    /// Encodes `value` as canonical JSON.
    public init(type: String, schemaVersion: Int = 1, encoding value: some Encodable) throws {
        self.init(type: type, schemaVersion: schemaVersion, payload: try CanonicalJSON.encode(value))
    }
}

/// An event as the ledger holds it: the envelope of DESIGN §3 with both hash chains.
public struct RecordedEvent: Sendable, Equatable {
    /// Global position: 1, 2, 3 … with no gaps, in commit order.
    public let seq: Int64
    /// The stream (an execution id) the event belongs to.
    public let stream: String
    /// Position within the stream, starting at 1.
    public let version: Int64
    public let type: String
    public let schemaVersion: Int
    /// RFC 3339 UTC time of the append, to the microsecond.
    public let recordedAt: String
    public let payload: Data
    public let payloadSHA256: SHA256Digest
    /// The previous row's `hash` (zero for the first row of the file).
    public let prevHash: SHA256Digest
    /// Global chain: covers this row's metadata, its payload digest and `prevHash`.
    public let hash: SHA256Digest
    /// Per-stream chain: covers the metadata (without `seq`), the payload digest and the previous event of the
    /// same stream, so one stream's events verify on their own.
    public let streamHash: SHA256Digest

    public init(
        seq: Int64, stream: String, version: Int64, type: String, schemaVersion: Int, recordedAt: String,
        payload: Data, payloadSHA256: SHA256Digest, prevHash: SHA256Digest, hash: SHA256Digest,
        streamHash: SHA256Digest
    ) {
        self.seq = seq
        self.stream = stream
        self.version = version
        self.type = type
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.payload = payload
        self.payloadSHA256 = payloadSHA256
        self.prevHash = prevHash
        self.hash = hash
        self.streamHash = streamHash
    }

    /// Decodes the payload.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: payload)
    }
}

/// What the caller believes the stream's current version is, checked inside the append transaction.
public enum ExpectedVersion: Sendable, Equatable, CustomStringConvertible {
    /// Append whatever the current version is.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's last event must have this version.
    case exactly(Int64)

    public var description: String {
        switch self {
        case .any: return "any version"
        case .noStream: return "a new stream"
        case .exactly(let version): return "version \(version)"
        }
    }
}

/// Canonical JSON for payloads: sorted keys, no escaped slashes, so equal values give equal bytes and digests.
public enum CanonicalJSON {
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(value)
    }
}
