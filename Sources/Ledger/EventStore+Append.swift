import Foundation
import Primitives

/// What `append` wrote, or, for a retried idempotent append, what the first attempt wrote.
public struct AppendResult: Sendable, Equatable {
    public let events: [RecordedEvent]
    /// True when the idempotency key had been used before and nothing new was written.
    public let replayed: Bool

    package init(events: [RecordedEvent], replayed: Bool) {
        self.events = events
        self.replayed = replayed
    }
}

extension EventStore {
    /// Appends `events` to `stream` atomically, as the next versions of the stream.
    ///
    /// - Parameters:
    ///   - expectedVersion: checked inside the transaction; a mismatch throws `versionConflict` and writes nothing.
    ///   - idempotencyKey: when given and already used for the same events in the same stream, nothing is written
    ///     and the original rows come back with `replayed == true`; used for different events, it throws.
    ///   - precondition: runs inside the write transaction before anything is written (a lease's fencing check);
    ///     throwing from it aborts the append.
    @discardableResult
    public func append(
        _ events: [NewEvent], to stream: String, expectedVersion: ExpectedVersion = .any,
        idempotencyKey: String? = nil,
        precondition: AppendPrecondition? = nil
    ) throws(LedgerError) -> AppendResult {
        try Self.validate(events, stream: stream)
        if options.record != nil {
            return try enqueueAppend(
                events, to: stream, expectedVersion: expectedVersion, idempotencyKey: idempotencyKey,
                precondition: precondition
            ).waitForResult()
        }
        let request = AppendRequest(
            events: events, stream: stream, expectedVersion: expectedVersion, idempotencyKey: idempotencyKey)
        let clock = options.clock
        let projections = options.projections
        return try withWriter { (connection) throws(LedgerError) -> AppendResult in
            try connection.immediateTransaction { () throws(LedgerError) -> AppendResult in
                try Self.write(request, precondition: precondition, clock: clock, projections: projections, connection)
            }
        }
    }

    /// Refuses what can never be stored: an empty batch, an empty stream name, an event without a type or with a
    /// schema version below 1.
    package static func validate(_ events: [NewEvent], stream: String) throws(LedgerError) {
        guard !events.isEmpty else { throw .invalidArgument("an append needs at least one event") }
        guard !stream.isEmpty else { throw .invalidArgument("the stream name is empty") }
        if let bad = events.first(where: { $0.type.isEmpty || $0.schemaVersion < 1 }) {
            throw .invalidArgument("event type '\(bad.type)' with schema version \(bad.schemaVersion)")
        }
    }

    /// One append inside an open write transaction: the precondition, the idempotency key, the version check,
    /// the rows with both chains, and the projections. Shared by the synchronous append (its own transaction) and
    /// the group-committing writer (one savepoint per append inside a shared transaction).
    static func write(
        _ request: AppendRequest, precondition: AppendPrecondition?,
        clock: @Sendable () -> Date, projections: [ProjectionRegistration], _ connection: Connection
    ) throws(LedgerError) -> AppendResult {
        let stream = request.stream
        if let precondition {
            try precondition.check(LedgerTransaction(connection: connection))
        }
        if let idempotencyKey = request.idempotencyKey, let requestDigest = request.digest,
            let previous = try Self.previousAppend(idempotencyKey, connection: connection)
        {
            guard previous.stream == stream, previous.digest == requestDigest else {
                throw .idempotencyKeyReused(key: idempotencyKey, stream: stream)
            }
            let original = try Self.rows(from: previous.firstSeq, through: previous.lastSeq, connection)
            return AppendResult(events: original, replayed: true)
        }
        let head = try Self.streamHead(stream, connection)
        switch request.expectedVersion {
        case .any: break
        case .noStream where head.version == 0: break
        case .exactly(let version) where version == head.version: break
        default: throw .versionConflict(stream: stream, expected: request.expectedVersion, actual: head.version)
        }
        let recorded = try Self.insert(
            request.events, stream: stream, after: head, recordedAt: Timestamp.rfc3339(clock()), connection)
        if let idempotencyKey = request.idempotencyKey, let requestDigest = request.digest {
            let insertKey = try connection.statement(
                "INSERT INTO append_keys(key, stream, first_seq, last_seq, request_sha256) VALUES (?,?,?,?,?)")
            insertKey.bind(1, idempotencyKey)
            insertKey.bind(2, stream)
            insertKey.bind(3, recorded.first!.seq)
            insertKey.bind(4, recorded.last!.seq)
            insertKey.bind(5, requestDigest)
            try insertKey.step()
        }
        try Self.updateProjections(projections, with: recorded, connection)
        return AppendResult(events: recorded, replayed: false)
    }

    /// The stream's last version and stream hash (0 and zero for a new stream).
    struct StreamHead {
        var version: Int64
        var streamHash: SHA256Digest
    }

    static func streamHead(_ stream: String, _ connection: Connection) throws(LedgerError) -> StreamHead {
        let query = try connection.statement(
            "SELECT version, stream_hash FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1")
        query.bind(1, stream)
        guard try query.step() else { return StreamHead(version: 0, streamHash: .zero) }
        let head = StreamHead(version: query.int64(0), streamHash: query.digest(1))
        query.reset()
        return head
    }

    /// The last `seq` and global hash: where the next event links on (0 and zero for an empty ledger).
    static func globalTail(_ connection: Connection) throws(LedgerError) -> (seq: Int64, hash: SHA256Digest) {
        let last = try connection.statement("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        defer { last.reset() }
        return try last.step() ? (last.int64(0), last.digest(1)) : (0, .zero)
    }

    /// The statement that inserts one event row, every column bound by position.
    static func eventInsertStatement(_ connection: Connection) throws(LedgerError) -> Statement {
        try connection.statement(
            """
            INSERT INTO events(seq, stream, version, type, schema_version, recorded_at, payload, payload_sha256,
                               prev_hash, hash, stream_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    private static func insert(
        _ events: [NewEvent], stream: String, after head: StreamHead, recordedAt: String, _ connection: Connection
    ) throws(LedgerError) -> [RecordedEvent] {
        var (seq, prevHash) = try globalTail(connection)
        let insert = try eventInsertStatement(connection)
        var version = head.version
        var streamHash = head.streamHash
        // Bindings stay between steps (reset does not clear them): what is the same for the whole batch is bound
        // once.
        insert.reset()
        insert.bind(2, stream)
        insert.bind(6, recordedAt)
        var recorded: [RecordedEvent] = []
        recorded.reserveCapacity(events.count)
        for event in events {
            seq += 1
            version += 1
            let payloadDigest = SHA256Digest.of(event.payload)
            let hash = HashChain.globalHash(
                prev: prevHash, seq: seq, stream: stream, version: version, type: event.type,
                schemaVersion: event.schemaVersion, recordedAt: recordedAt, payloadSHA256: payloadDigest)
            let newStreamHash = HashChain.streamHash(
                prev: streamHash, stream: stream, version: version, type: event.type,
                schemaVersion: event.schemaVersion, recordedAt: recordedAt, payloadSHA256: payloadDigest)
            insert.bind(1, seq)
            insert.bind(3, version)
            insert.bind(4, event.type)
            insert.bind(5, Int64(event.schemaVersion))
            insert.bind(7, event.payload)
            insert.bind(8, payloadDigest)
            insert.bind(9, prevHash)
            insert.bind(10, hash)
            insert.bind(11, newStreamHash)
            try insert.step()
            insert.reset()
            recorded.append(
                RecordedEvent(
                    seq: seq, stream: stream, version: version, type: event.type, schemaVersion: event.schemaVersion,
                    recordedAt: recordedAt, payload: event.payload, payloadSHA256: payloadDigest, prevHash: prevHash,
                    hash: hash, streamHash: newStreamHash))
            prevHash = hash
            streamHash = newStreamHash
        }
        return recorded
    }

    private struct PreviousAppend {
        var stream: String
        var firstSeq: Int64
        var lastSeq: Int64
        var digest: SHA256Digest
    }

    private static func previousAppend(_ key: String, connection: Connection) throws(LedgerError) -> PreviousAppend? {
        let query = try connection.statement(
            "SELECT stream, first_seq, last_seq, request_sha256 FROM append_keys WHERE key = ?")
        query.bind(1, key)
        guard try query.step() else { return nil }
        let previous = PreviousAppend(
            stream: query.text(0), firstSeq: query.int64(1), lastSeq: query.int64(2), digest: query.digest(3))
        query.reset()
        return previous
    }

    /// What identifies an append request for idempotency: the stream and each event's type, schema and payload.
    package static func requestDigest(_ events: [NewEvent], stream: String) -> SHA256Digest {
        var buffer = [UInt8]()
        buffer.append(contentsOf: stream.utf8)
        for event in events {
            buffer.append(0)
            buffer.append(contentsOf: event.type.utf8)
            buffer.append(0)
            buffer.append(contentsOf: String(event.schemaVersion).utf8)
            buffer.append(0)
            buffer.append(contentsOf: SHA256Digest.of(event.payload).bytes)
        }
        return SHA256Digest.of(buffer)
    }
}

/// One append's arguments, validated, with the digest its idempotency key is checked against.
struct AppendRequest: Sendable {
    let events: [NewEvent]
    let stream: String
    let expectedVersion: ExpectedVersion
    let idempotencyKey: String?
    let digest: SHA256Digest?

    init(events: [NewEvent], stream: String, expectedVersion: ExpectedVersion, idempotencyKey: String?) {
        self.events = events
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.idempotencyKey = idempotencyKey
        digest = idempotencyKey.map { _ in EventStore.requestDigest(events, stream: stream) }
    }
}

/// A check that runs inside an append's write transaction before anything is written (a lease's fencing check,
/// `EventStore.fence`); throwing from it fails that append alone. A ledger of record (PostgreSQL) runs fences
/// only: it refuses an append with any other check.
public struct AppendPrecondition: Sendable {
    let check: @Sendable (LedgerTransaction) throws(LedgerError) -> Void
    /// The lease this check is the fence of, when it is one.
    public let fence: LeaseFence?

    /// A check of the SQLite ledger's tables.
    public init(_ check: @escaping @Sendable (LedgerTransaction) throws(LedgerError) -> Void) {
        self.check = check
        fence = nil
    }

    init(fence: LeaseFence, check: @escaping @Sendable (LedgerTransaction) throws(LedgerError) -> Void) {
        self.check = check
        self.fence = fence
    }
}

/// The open write transaction of an append, handed to its precondition (for fencing checks).
public struct LedgerTransaction {
    let connection: Connection

    /// Reads one integer with a query that takes text arguments; nil when it returns no row or NULL.
    public func integer(_ sql: String, _ arguments: String...) throws(LedgerError) -> Int64? {
        let statement = try connection.statement(sql)
        for (index, argument) in arguments.enumerated() {
            statement.bind(Int32(index + 1), argument)
        }
        guard try statement.step(), !statement.isNull(0) else { return nil }
        let value = statement.int64(0)
        statement.reset()
        return value
    }
}
