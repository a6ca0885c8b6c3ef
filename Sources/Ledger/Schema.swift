/// One forward-only schema step. Steps are applied in order, each inside the transaction that records it.
struct Migration: Sendable {
    let version: Int
    let name: String
    let sql: String
}

/// The ledger schema, as numbered migrations. Never edit a released step: add a new one.
enum Schema {
    /// Marks a file as a BatchLedger ledger (`PRAGMA application_id`, "BLGR").
    static let applicationID: Int32 = 0x424C_4752

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "events, append keys, projections",
            sql: """
                CREATE TABLE events(
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    stream TEXT NOT NULL CHECK (length(stream) > 0),
                    version INTEGER NOT NULL CHECK (version >= 1),
                    type TEXT NOT NULL CHECK (length(type) > 0),
                    schema_version INTEGER NOT NULL CHECK (schema_version >= 1),
                    recorded_at TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    payload_sha256 BLOB NOT NULL CHECK (length(payload_sha256) = 32),
                    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
                    hash BLOB NOT NULL CHECK (length(hash) = 32),
                    stream_hash BLOB NOT NULL CHECK (length(stream_hash) = 32),
                    UNIQUE (stream, version)
                );
                CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
                BEGIN
                    SELECT RAISE(ABORT, 'events are immutable: UPDATE refused');
                END;
                CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
                BEGIN
                    SELECT RAISE(ABORT, 'events are immutable: DELETE refused');
                END;
                CREATE TABLE append_keys(
                    key TEXT PRIMARY KEY,
                    stream TEXT NOT NULL,
                    first_seq INTEGER NOT NULL,
                    last_seq INTEGER NOT NULL,
                    request_sha256 BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE projection_checkpoints(
                    projection TEXT PRIMARY KEY,
                    definition_version INTEGER NOT NULL,
                    seq INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE projection_state(
                    projection TEXT NOT NULL,
                    key TEXT NOT NULL,
                    state BLOB NOT NULL,
                    PRIMARY KEY (projection, key)
                ) WITHOUT ROWID;
                CREATE TABLE schema_migrations(
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                );
                """),
        Migration(
            version: 2, name: "audit indexes by type and by time",
            sql: """
                CREATE INDEX events_by_type_time ON events(type, recorded_at);
                CREATE INDEX events_by_time ON events(recorded_at);
                """),
        Migration(
            version: 3, name: "leases with fencing tokens",
            sql: """
                CREATE TABLE leases(
                    stream TEXT PRIMARY KEY,
                    token INTEGER NOT NULL,
                    owner TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    host TEXT NOT NULL,
                    heartbeat_at REAL NOT NULL,
                    released INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                """),
        Migration(
            version: 4, name: "import provenance; audit index by task run",
            sql: """
                CREATE TABLE imports(
                    imported_seq INTEGER PRIMARY KEY,
                    stream TEXT NOT NULL,
                    source_ledger TEXT NOT NULL,
                    source_seq INTEGER NOT NULL,
                    source_hash BLOB NOT NULL CHECK (length(source_hash) = 32),
                    source_stream_hash BLOB NOT NULL CHECK (length(source_stream_hash) = 32),
                    imported_at TEXT NOT NULL
                );
                CREATE INDEX imports_by_stream ON imports(stream, source_seq);
                CREATE INDEX events_by_task_run ON events(
                    CASE WHEN json_valid(CAST(payload AS TEXT))
                    THEN json_extract(CAST(payload AS TEXT), '$.taskRunId') END);
                """),
        Migration(
            version: 5, name: "per-ledger keys (the HMAC key of secret digests)",
            sql: """
                CREATE TABLE ledger_keys(
                    name TEXT PRIMARY KEY,
                    key BLOB NOT NULL CHECK (length(key) = 32),
                    created_at TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TRIGGER ledger_keys_refuse_update BEFORE UPDATE ON ledger_keys
                BEGIN
                    SELECT RAISE(ABORT, 'ledger keys are immutable: UPDATE refused');
                END;
                CREATE TRIGGER ledger_keys_refuse_delete BEFORE DELETE ON ledger_keys
                BEGIN
                    SELECT RAISE(ABORT, 'ledger keys are immutable: DELETE refused');
                END;
                """),
        // Leases taken before this step were all judged with the default TTL, which they keep.
        Migration(
            version: 6, name: "leases keep their holder's TTL",
            sql: """
                ALTER TABLE leases ADD COLUMN ttl REAL NOT NULL DEFAULT 10 CHECK (ttl >= 0);
                """),
        Migration(
            version: 7, name: "request allowances shared by every process",
            sql: """
                CREATE TABLE request_budget(
                    scope TEXT NOT NULL CHECK (length(scope) > 0),
                    taken_at REAL NOT NULL
                );
                CREATE INDEX request_budget_by_scope ON request_budget(scope, taken_at);
                """),
    ]

    static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Brings the open database to the latest schema; refuses a database from a newer version.
    static func migrate(_ connection: Connection, now: String) throws(LedgerError) {
        try connection.immediateTransaction { () throws(LedgerError) in
            let current = Int(try connection.pragma("user_version") ?? "0") ?? 0
            if current > latestVersion {
                throw .newerSchema(path: connection.path, found: current, supported: latestVersion)
            }
            for migration in migrations where migration.version > current {
                try connection.execute(migration.sql, during: "migration \(migration.version)")
                let record = try connection.statement(
                    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)")
                record.bind(1, Int64(migration.version))
                record.bind(2, migration.name)
                record.bind(3, now)
                try record.step()
            }
            if current < latestVersion {
                try connection.execute("PRAGMA user_version = \(latestVersion)", during: "migration")
                try connection.execute("PRAGMA application_id = \(applicationID)", during: "migration")
            }
        }
    }
}
