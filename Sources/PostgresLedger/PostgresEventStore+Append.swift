import Foundation
import Ledger
import PostgresNIO
import Primitives

extension PostgresEventStore {
    /// Appends `events` to `stream` atomically, as the next versions of the stream, with the same semantics as
    /// `EventStore.append`: `expectedVersion` is checked inside the transaction (`LedgerError.versionConflict`),
    /// and an `idempotencyKey` already used for the same events returns the original rows with `replayed`.
    @discardableResult
    public func append(
        _ events: [NewEvent], to stream: String, expectedVersion: ExpectedVersion = .any,
        idempotencyKey: String? = nil
    ) async throws -> AppendResult {
        try EventStore.validate(events, stream: stream)
        let digest = idempotencyKey.map { _ in EventStore.requestDigest(events, stream: stream) }
        let recordedAt = Timestamp.rfc3339(clock())
        return try await transaction("append to \(stream)") { [logger] connection in
            try await Self.lockAppends(connection, logger: logger)
            if let idempotencyKey, let digest {
                let previous = try await connection.query(
                    "SELECT stream, first_seq, last_seq, request_sha256 FROM append_keys WHERE key = \(idempotencyKey)",
                    logger: logger
                ).collect().first
                if let previous {
                    let (previousStream, first, last, previousDigest) = try previous.decode(
                        (String, Int64, Int64, ByteBuffer).self)
                    guard previousStream == stream, SHA256Digest(bytes: previousDigest.readableBytesView) == digest
                    else { throw LedgerError.idempotencyKeyReused(key: idempotencyKey, stream: stream) }
                    let original = try await Self.rows(
                        "SELECT \(unescaped: Self.columns) FROM events WHERE seq BETWEEN \(first) AND \(last) ORDER BY seq",
                        connection, logger: logger)
                    return AppendResult(events: original, replayed: true)
                }
            }
            let head = try await Self.streamHead(stream, connection, logger: logger)
            switch expectedVersion {
            case .any: break
            case .noStream where head.version == 0: break
            case .exactly(let version) where version == head.version: break
            default: throw LedgerError.versionConflict(stream: stream, expected: expectedVersion, actual: head.version)
            }
            var tail = try await Self.globalTail(connection, logger: logger)
            var version = head.version
            var streamHash = head.hash
            var recorded: [RecordedEvent] = []
            for event in events {
                version += 1
                let payloadDigest = SHA256Digest.of(event.payload)
                let seq = tail.seq + 1
                let hash = HashChain.globalHash(
                    prev: tail.hash, seq: seq, stream: stream, version: version, type: event.type,
                    schemaVersion: event.schemaVersion, recordedAt: recordedAt, payloadSHA256: payloadDigest)
                streamHash = HashChain.streamHash(
                    prev: streamHash, stream: stream, version: version, type: event.type,
                    schemaVersion: event.schemaVersion, recordedAt: recordedAt, payloadSHA256: payloadDigest)
                let row = RecordedEvent(
                    seq: seq, stream: stream, version: version, type: event.type, schemaVersion: event.schemaVersion,
                    recordedAt: recordedAt, payload: event.payload, payloadSHA256: payloadDigest,
                    prevHash: tail.hash, hash: hash, streamHash: streamHash)
                try await Self.insert(row, connection, logger: logger)
                recorded.append(row)
                tail = ChainLink(seq: seq, hash: hash)
            }
            if let idempotencyKey, let digest, let first = recorded.first?.seq, let last = recorded.last?.seq {
                try await connection.query(
                    """
                    INSERT INTO append_keys(key, stream, first_seq, last_seq, request_sha256)
                    VALUES (\(idempotencyKey), \(stream), \(first), \(last), \(ByteBuffer(bytes: digest.bytes)))
                    """, logger: logger)
            }
            return AppendResult(events: recorded, replayed: false)
        }
    }

    /// Appends rows read from another ledger as they are (same `seq`, time, payload and both hashes), in one
    /// transaction; each must continue this ledger's chains (`ChainContinuation`).
    public func appendCopied(_ rows: [RecordedEvent]) async throws {
        guard !rows.isEmpty else { return }
        try await transaction("copy into the ledger") { [logger] connection in
            try await Self.lockAppends(connection, logger: logger)
            var continuation = ChainContinuation(tail: try await Self.globalTail(connection, logger: logger)) { _ in
                (0, .zero)
            }
            var heads: [String: (version: Int64, hash: SHA256Digest)] = [:]
            for row in rows where heads[row.stream] == nil {
                heads[row.stream] = try await Self.streamHead(row.stream, connection, logger: logger)
            }
            let known = heads
            continuation = ChainContinuation(tail: continuation.tail) { stream in known[stream] ?? (0, .zero) }
            for row in rows {
                try continuation.accept(row)
                try await Self.insert(row, connection, logger: logger)
            }
        }
    }

    /// Takes the append lock for the rest of the transaction: every writer, on any host, reads the chain's tail
    /// only after the previous writer committed.
    static func lockAppends(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.appendLockKey))", logger: logger)
    }

    static func insert(_ row: RecordedEvent, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO events(seq, stream, version, type, schema_version, recorded_at, payload, payload_sha256,
                               prev_hash, hash, stream_hash)
            VALUES (\(row.seq), \(row.stream), \(row.version), \(row.type), \(Int64(row.schemaVersion)),
                    \(row.recordedAt), \(ByteBuffer(bytes: row.payload)), \(ByteBuffer(bytes: row.payloadSHA256.bytes)),
                    \(ByteBuffer(bytes: row.prevHash.bytes)), \(ByteBuffer(bytes: row.hash.bytes)),
                    \(ByteBuffer(bytes: row.streamHash.bytes)))
            """, logger: logger)
    }

    /// The stream's last version and stream hash (0 and zero for a new stream).
    static func streamHead(_ stream: String, _ connection: PostgresConnection, logger: Logger) async throws
        -> (version: Int64, hash: SHA256Digest)
    {
        let row = try await connection.query(
            "SELECT version, stream_hash FROM events WHERE stream = \(stream) ORDER BY version DESC LIMIT 1",
            logger: logger
        ).collect().first
        guard let row else { return (0, .zero) }
        let (version, hash) = try row.decode((Int64, ByteBuffer).self)
        return (version, try digest(hash))
    }

    /// The last row's link: where the next event chains on (seq 0 and zero for an empty ledger).
    static func globalTail(_ connection: PostgresConnection, logger: Logger) async throws -> ChainLink {
        let row = try await connection.query("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", logger: logger)
            .collect().first
        guard let row else { return ChainLink(seq: 0, hash: .zero) }
        let (seq, hash) = try row.decode((Int64, ByteBuffer).self)
        return ChainLink(seq: seq, hash: try digest(hash))
    }

    static func digest(_ buffer: ByteBuffer) throws -> SHA256Digest {
        guard let digest = SHA256Digest(bytes: buffer.readableBytesView) else {
            throw LedgerError.invalidArgument("a stored digest is not 32 bytes")
        }
        return digest
    }
}

extension PostgresEventStore {
    /// The rows of `ledger_keys`.
    public func ledgerKeys() async throws -> [LedgerKey] {
        try await withConnection("read the ledger keys") { [logger] connection in
            var keys: [LedgerKey] = []
            for try await row in try await connection.query(
                "SELECT name, key, created_at FROM ledger_keys ORDER BY name", logger: logger)
            {
                let (name, key, createdAt) = try row.decode((String, ByteBuffer, String).self)
                keys.append(LedgerKey(name: name, bytes: Array(key.readableBytesView), createdAt: createdAt))
            }
            return keys
        }
    }

    /// Stores keys copied from another ledger; a key already here under the same name must be the same key.
    public func storeCopiedKeys(_ keys: [LedgerKey]) async throws {
        guard !keys.isEmpty else { return }
        try await transaction("copy the ledger keys") { [logger] connection in
            try await Self.lockAppends(connection, logger: logger)
            for key in keys {
                let existing = try await connection.query(
                    "SELECT key FROM ledger_keys WHERE name = \(key.name)", logger: logger
                ).collect().first
                if let existing {
                    guard Array(try existing.decode(ByteBuffer.self).readableBytesView) == key.bytes else {
                        throw LedgerError.invalidArgument("the target already has another key named '\(key.name)'")
                    }
                    continue
                }
                try await connection.query(
                    """
                    INSERT INTO ledger_keys(name, key, created_at)
                    VALUES (\(key.name), \(ByteBuffer(bytes: key.bytes)), \(key.createdAt))
                    """, logger: logger)
            }
        }
    }
}
