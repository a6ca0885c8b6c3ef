import Foundation
import Primitives

/// Which events an audit query selects. Every condition given must hold.
public struct EventFilter: Sendable, Equatable {
    public var types: [String]
    public var streams: [String]
    /// RFC 3339 lower bound on `recorded_at`, inclusive.
    public var since: Date?
    /// RFC 3339 upper bound on `recorded_at`, exclusive.
    public var until: Date?
    /// Only events with `seq` greater than this.
    public var afterSeq: Int64
    public var limit: Int?

    public init(
        types: [String] = [], streams: [String] = [], since: Date? = nil, until: Date? = nil, afterSeq: Int64 = 0,
        limit: Int? = nil
    ) {
        self.types = types
        self.streams = streams
        self.since = since
        self.until = until
        self.afterSeq = afterSeq
        self.limit = limit
    }
}

extension EventStore {
    static let columns =
        "seq, stream, version, type, schema_version, recorded_at, payload, payload_sha256, prev_hash, hash, stream_hash"

    static func event(from row: Statement) -> RecordedEvent {
        RecordedEvent(
            seq: row.int64(0), stream: row.text(1), version: row.int64(2), type: row.text(3),
            schemaVersion: Int(row.int64(4)), recordedAt: row.text(5), payload: row.data(6),
            payloadSHA256: row.digest(7), prevHash: row.digest(8), hash: row.digest(9), streamHash: row.digest(10))
    }

    static func rows(from first: Int64, through last: Int64, _ connection: Connection) throws(LedgerError)
        -> [RecordedEvent]
    {
        let query = try connection.statement("SELECT \(columns) FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq")
        query.bind(1, first)
        query.bind(2, last)
        var events: [RecordedEvent] = []
        while try query.step() {
            events.append(event(from: query))
        }
        return events
    }

    /// Calls `body` with each event of `stream` in version order, from `version` on. Memory stays constant.
    public func readStream(
        _ stream: String, fromVersion version: Int64 = 1, _ body: (RecordedEvent) throws -> Void
    ) throws {
        try withReader { connection in
            let query = try connection.statement(
                "SELECT \(Self.columns) FROM events WHERE stream = ? AND version >= ? ORDER BY version")
            query.bind(1, stream)
            query.bind(2, version)
            defer { query.reset() }
            while try query.step() {
                try body(Self.event(from: query))
            }
        }
    }

    /// All events of `stream`, in order.
    public func events(in stream: String) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        try readStream(stream) { events.append($0) }
        return events
    }

    /// Calls `body` with every event whose `seq` is greater than `seq` (through `last` when given), in order.
    /// Memory stays constant, however long the log.
    public func readAll(after seq: Int64 = 0, through last: Int64? = nil, _ body: (RecordedEvent) throws -> Void)
        throws
    {
        try withReader { connection in
            let query = try connection.statement(
                "SELECT \(Self.columns) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq")
            query.bind(1, seq)
            query.bind(2, last ?? Int64.max)
            defer { query.reset() }
            while try query.step() {
                try body(Self.event(from: query))
            }
        }
    }

    /// Calls `body` with each event that `filter` selects, in `seq` order.
    public func query(_ filter: EventFilter, _ body: (RecordedEvent) throws -> Void) throws {
        var conditions = ["seq > ?"]
        var arguments: [String] = []
        if !filter.types.isEmpty {
            conditions.append("type IN (\(filter.types.map { _ in "?" }.joined(separator: ",")))")
            arguments += filter.types
        }
        if !filter.streams.isEmpty {
            conditions.append("stream IN (\(filter.streams.map { _ in "?" }.joined(separator: ",")))")
            arguments += filter.streams
        }
        if let since = filter.since {
            conditions.append("recorded_at >= ?")
            arguments.append(Timestamp.rfc3339(since))
        }
        if let until = filter.until {
            conditions.append("recorded_at < ?")
            arguments.append(Timestamp.rfc3339(until))
        }
        var sql = "SELECT \(Self.columns) FROM events WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq"
        if let limit = filter.limit { sql += " LIMIT \(max(0, limit))" }
        try withReader { connection in
            let query = try connection.oneShotStatement(sql)
            query.bind(1, filter.afterSeq)
            for (index, argument) in arguments.enumerated() {
                query.bind(Int32(index + 2), argument)
            }
            while try query.step() {
                try body(Self.event(from: query))
            }
        }
    }

    /// The current version of `stream` (0 when it has no events).
    public func currentVersion(of stream: String) throws -> Int64 {
        try withReader { connection in try Self.streamHead(stream, connection).version }
    }

    /// The `seq` of the last event (0 for an empty ledger).
    public func lastSeq() throws -> Int64 {
        try withReader { connection in
            let query = try connection.statement("SELECT coalesce(max(seq), 0) FROM events")
            defer { query.reset() }
            try query.step()
            return query.int64(0)
        }
    }

    /// Every stream, in the order of its first event.
    public func streams() throws -> [String] {
        try withReader { connection in
            let query = try connection.statement(
                "SELECT stream FROM events WHERE version = 1 ORDER BY seq")
            defer { query.reset() }
            var streams: [String] = []
            while try query.step() {
                streams.append(query.text(0))
            }
            return streams
        }
    }
}
