import Foundation

/// Where an imported execution came from: the ledger its export was made from and when it was imported.
///
/// An imported execution's events were recorded by another ledger; this one only holds a copy. Commands that
/// would drive it on (recover, resume, fork) refuse it, and `show` and `executions` name its origin.
public struct ImportOrigin: Sendable, Equatable {
    /// The source ledger's path as its export header recorded it (provenance only: the export names it).
    public var sourceLedger: String
    /// When the first of its events was imported into this ledger (RFC 3339).
    public var importedAt: String

    public init(sourceLedger: String, importedAt: String) {
        self.sourceLedger = sourceLedger
        self.importedAt = importedAt
    }
}

extension EventStore {
    /// The origin of `stream` when it was imported from an export; nil when this ledger recorded it itself.
    public func importOrigin(of stream: String) throws -> ImportOrigin? {
        try withReader { connection in
            guard try Self.hasImportsTable(connection) else { return nil }
            let query = try connection.statement(
                """
                SELECT source_ledger, imported_at FROM imports WHERE stream = ?
                ORDER BY source_seq LIMIT 1
                """)
            query.bind(1, stream)
            defer { query.reset() }
            guard try query.step() else { return nil }
            return ImportOrigin(sourceLedger: query.text(0), importedAt: query.text(1))
        }
    }

    /// Every imported stream with its origin, in one scan of the `imports` index (one row per stream).
    public func importOrigins() throws -> [String: ImportOrigin] {
        try withReader { connection in
            guard try Self.hasImportsTable(connection) else { return [:] }
            // SQLite's bare-column rule: with min(), the other columns come from the row holding the minimum.
            let query = try connection.statement(
                """
                SELECT stream, source_ledger, imported_at, min(source_seq) FROM imports GROUP BY stream
                """)
            defer { query.reset() }
            var origins: [String: ImportOrigin] = [:]
            while try query.step() {
                origins[query.text(0)] = ImportOrigin(sourceLedger: query.text(1), importedAt: query.text(2))
            }
            return origins
        }
    }

    /// The ids of every imported stream.
    public func importedStreams() throws -> Set<String> {
        try withReader { connection in
            guard try Self.hasImportsTable(connection) else { return [] }
            let query = try connection.statement("SELECT DISTINCT stream FROM imports")
            defer { query.reset() }
            var streams = Set<String>()
            while try query.step() { streams.insert(query.text(0)) }
            return streams
        }
    }

    /// Whether the schema has the `imports` table: a ledger opened read-only is not migrated, and one from before
    /// schema version 4 has none (so nothing in it was imported).
    static func hasImportsTable(_ connection: Connection) throws(LedgerError) -> Bool {
        let query = try connection.statement(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'imports'")
        defer { query.reset() }
        try query.step()
        return query.int64(0) > 0
    }
}
