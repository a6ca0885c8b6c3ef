import Foundation
import Ledger
import PostgresNIO

extension PostgresEventStore {
    static let columns =
        "seq, stream, version, type, schema_version, recorded_at, payload, payload_sha256, prev_hash, hash, stream_hash"

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

    static func rows(_ query: PostgresQuery, _ connection: PostgresConnection, logger: Logger) async throws
        -> [RecordedEvent]
    {
        var events: [RecordedEvent] = []
        for try await row in try await connection.query(query, logger: logger) {
            events.append(try event(from: row))
        }
        return events
    }

    /// All events of `stream` from `version` on, in version order.
    public func events(in stream: String, fromVersion version: Int64 = 1) async throws -> [RecordedEvent] {
        try await withConnection("read stream \(stream)") { [logger] connection in
            try await Self.rows(
                "SELECT \(unescaped: Self.columns) FROM events WHERE stream = \(stream) AND version >= \(version) ORDER BY version",
                connection, logger: logger)
        }
    }

    /// Calls `body` with every event whose `seq` is greater than `seq` (through `last` when given), in order,
    /// fetched in pages of `pageSize` rows, so memory stays bounded however long the log.
    public func readAll(
        after seq: Int64 = 0, through last: Int64? = nil, pageSize: Int = 1_000,
        _ body: ([RecordedEvent]) throws -> Void
    ) async throws {
        var cursor = seq
        let last = last ?? Int64.max
        while true {
            let from = cursor
            let limit = Int64(pageSize)
            let page = try await withConnection("read events after seq \(from)") { [logger] connection in
                try await Self.rows(
                    "SELECT \(unescaped: Self.columns) FROM events WHERE seq > \(from) AND seq <= \(last) ORDER BY seq LIMIT \(limit)",
                    connection, logger: logger)
            }
            guard let end = page.last?.seq else { return }
            try body(page)
            cursor = end
            if page.count < pageSize { return }
        }
    }

    /// The current version of `stream` (0 when it has no events).
    public func currentVersion(of stream: String) async throws -> Int64 {
        try await withConnection("read stream \(stream)") { [logger] connection in
            try await Self.streamHead(stream, connection, logger: logger).version
        }
    }

    /// The `seq` of the last event (0 for an empty ledger).
    public func lastSeq() async throws -> Int64 {
        try await withConnection("read the last seq") { [logger] connection in
            try await connection.query("SELECT coalesce(max(seq), 0)::bigint FROM events", logger: logger).collect()
                .first?.decode(Int64.self) ?? 0
        }
    }

    /// Every stream, in the order of its first event.
    public func streams() async throws -> [String] {
        try await withConnection("list streams") { [logger] connection in
            var streams: [String] = []
            for try await row in try await connection.query(
                "SELECT stream FROM events WHERE version = 1 ORDER BY seq", logger: logger)
            {
                streams.append(try row.decode(String.self))
            }
            return streams
        }
    }
}
