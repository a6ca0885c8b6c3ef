import Foundation
import PostgresNIO

/// The ledger schema on PostgreSQL: the SQLite ledger's migrations, with the same numbers and names, in
/// PostgreSQL's dialect, in schema `public`. Never edit a released step: add a new one, on both backends.
enum PostgresSchema {
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: [String]
    }

    /// The role the store writes through: it may INSERT and SELECT on `events`, and owns nothing.
    static let writerRole = "batchledger_writer"

    /// Serialises migrations of one database across processes and hosts (`pg_advisory_xact_lock`).
    static let migrationLockKey: Int64 = 0x424C_4752_0000_0001
    /// Serialises appends: held from reading the tail to commit, so `seq` has no gaps and the chain no forks.
    static let appendLockKey: Int64 = 0x424C_4752_0000_0002
    /// With the hash of an allowance's name, serialises the takers of that allowance (`pg_advisory_xact_lock` of
    /// two keys: a space apart from the single-key locks above).
    static let requestBudgetLockClass: Int32 = 0x424C_4752

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "events, append keys, projections",
            statements: [
                """
                CREATE TABLE events(
                    seq BIGINT PRIMARY KEY CHECK (seq >= 1),
                    stream TEXT NOT NULL CHECK (length(stream) > 0),
                    version BIGINT NOT NULL CHECK (version >= 1),
                    type TEXT NOT NULL CHECK (length(type) > 0),
                    schema_version BIGINT NOT NULL CHECK (schema_version >= 1),
                    recorded_at TEXT NOT NULL,
                    payload BYTEA NOT NULL,
                    payload_sha256 BYTEA NOT NULL CHECK (octet_length(payload_sha256) = 32),
                    prev_hash BYTEA NOT NULL CHECK (octet_length(prev_hash) = 32),
                    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
                    stream_hash BYTEA NOT NULL CHECK (octet_length(stream_hash) = 32),
                    UNIQUE (stream, version)
                )
                """,
                // One function refuses every change; its argument names the table in the message, as SQLite's
                // triggers word it.
                """
                CREATE FUNCTION batchledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION '% are immutable: % refused', TG_ARGV[0], TG_OP;
                END
                $$
                """,
                """
                CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
                FOR EACH ROW EXECUTE FUNCTION batchledger_refuse_change('events')
                """,
                """
                CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
                FOR EACH ROW EXECUTE FUNCTION batchledger_refuse_change('events')
                """,
                // Row triggers do not fire on TRUNCATE.
                """
                CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
                FOR EACH STATEMENT EXECUTE FUNCTION batchledger_refuse_change('events')
                """,
                """
                CREATE TABLE append_keys(
                    key TEXT PRIMARY KEY,
                    stream TEXT NOT NULL,
                    first_seq BIGINT NOT NULL,
                    last_seq BIGINT NOT NULL,
                    request_sha256 BYTEA NOT NULL
                )
                """,
                """
                CREATE TABLE projection_checkpoints(
                    projection TEXT PRIMARY KEY,
                    definition_version BIGINT NOT NULL,
                    seq BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE projection_state(
                    projection TEXT NOT NULL,
                    key TEXT NOT NULL,
                    state BYTEA NOT NULL,
                    PRIMARY KEY (projection, key)
                )
                """,
                """
                CREATE TABLE schema_migrations(
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                )
                """,
            ]),
        Migration(
            version: 2, name: "audit indexes by type and by time",
            statements: [
                "CREATE INDEX events_by_type_time ON events(type, recorded_at)",
                "CREATE INDEX events_by_time ON events(recorded_at)",
            ]),
        Migration(
            version: 3, name: "leases with fencing tokens",
            statements: [
                """
                CREATE TABLE leases(
                    stream TEXT PRIMARY KEY,
                    token BIGINT NOT NULL,
                    owner TEXT NOT NULL,
                    pid BIGINT NOT NULL,
                    host TEXT NOT NULL,
                    heartbeat_at DOUBLE PRECISION NOT NULL,
                    released BIGINT NOT NULL DEFAULT 0
                )
                """
            ]),
        Migration(
            version: 4, name: "import provenance; audit index by task run",
            statements: [
                """
                CREATE TABLE imports(
                    imported_seq BIGINT PRIMARY KEY,
                    stream TEXT NOT NULL,
                    source_ledger TEXT NOT NULL,
                    source_seq BIGINT NOT NULL,
                    source_hash BYTEA NOT NULL CHECK (octet_length(source_hash) = 32),
                    source_stream_hash BYTEA NOT NULL CHECK (octet_length(source_stream_hash) = 32),
                    imported_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX imports_by_stream ON imports(stream, source_seq)",
                // SQLite indexes json_extract(payload, '$.taskRunId'); a cast of bytea to jsonb may fail on a
                // payload that is not JSON, and an index expression that fails would refuse the insert. An
                // immutable function that answers NULL for such a payload indexes the same thing.
                """
                CREATE FUNCTION batchledger_task_run_id(payload BYTEA) RETURNS TEXT
                LANGUAGE plpgsql IMMUTABLE AS $$
                BEGIN
                    RETURN convert_from(payload, 'UTF8')::jsonb ->> 'taskRunId';
                EXCEPTION WHEN OTHERS THEN
                    RETURN NULL;
                END
                $$
                """,
                "CREATE INDEX events_by_task_run ON events(batchledger_task_run_id(payload))",
            ]),
        Migration(
            version: 5, name: "per-ledger keys (the HMAC key of secret digests)",
            statements: [
                """
                CREATE TABLE ledger_keys(
                    name TEXT PRIMARY KEY,
                    key BYTEA NOT NULL CHECK (octet_length(key) = 32),
                    created_at TEXT NOT NULL
                )
                """,
                """
                CREATE TRIGGER ledger_keys_refuse_update BEFORE UPDATE ON ledger_keys
                FOR EACH ROW EXECUTE FUNCTION batchledger_refuse_change('ledger keys')
                """,
                """
                CREATE TRIGGER ledger_keys_refuse_delete BEFORE DELETE ON ledger_keys
                FOR EACH ROW EXECUTE FUNCTION batchledger_refuse_change('ledger keys')
                """,
                """
                CREATE TRIGGER ledger_keys_refuse_truncate BEFORE TRUNCATE ON ledger_keys
                FOR EACH STATEMENT EXECUTE FUNCTION batchledger_refuse_change('ledger keys')
                """,
            ]),
        // Leases taken before this step were all judged with the default TTL, which they keep.
        Migration(
            version: 6, name: "leases keep their holder's TTL",
            statements: [
                "ALTER TABLE leases ADD COLUMN ttl DOUBLE PRECISION NOT NULL DEFAULT 10 CHECK (ttl >= 0)"
            ]),
        Migration(
            version: 7, name: "request allowances shared by every process",
            statements: [
                """
                CREATE TABLE request_budget(
                    scope TEXT NOT NULL CHECK (length(scope) > 0),
                    taken_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX request_budget_by_scope ON request_budget(scope, taken_at)",
            ]),
    ]

    static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// What the writer role may do: read and insert on the log and its append keys, imports and keys; the
    /// projection caches and leases are mutable state, not history; the calls taken from request allowances are
    /// recorded and forgotten once they no longer count.
    static let grants = [
        "GRANT USAGE ON SCHEMA public TO \(writerRole)",
        "GRANT SELECT, INSERT ON events, append_keys, imports, ledger_keys TO \(writerRole)",
        "GRANT SELECT ON schema_migrations TO \(writerRole)",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON projection_checkpoints, projection_state, leases TO \(writerRole)",
        "GRANT SELECT, INSERT, DELETE ON request_budget TO \(writerRole)",
    ]

    /// Brings the database to the latest schema in one transaction (serialised by an advisory lock), creates the
    /// writer role if it is missing, and grants it what it may do. Returns the schema version found before.
    @discardableResult
    static func migrate(_ connection: BlockingConnection, now: String) throws -> Int {
        let operation = "migrate the ledger schema"
        // A session lock taken before the transaction begins: the version is then read in a transaction that
        // starts after any other migration committed (a lock taken inside it may still see the catalog as
        // it was).
        try connection.query(
            "SELECT pg_advisory_lock(\(migrationLockKey))", operation, within: BlockingConnection.lockWaitLimit)
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(migrationLockKey))", operation) }
        try connection.query("BEGIN", operation)
        do {
            let current = try currentVersion(connection)
            for migration in migrations where migration.version > current {
                for statement in migration.statements {
                    try connection.query(PostgresQuery(unsafeSQL: statement), operation)
                }
                try connection.query(
                    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (\(Int64(migration.version)), \(migration.name), \(now))",
                    operation)
            }
            if current < latestVersion {
                try createWriterRole(connection)
            }
            try connection.query("COMMIT", operation)
            return current
        } catch {
            _ = try? connection.query("ROLLBACK", operation)
            throw error
        }
    }

    /// The version recorded in `schema_migrations` (0 when the table does not exist yet).
    static func currentVersion(_ connection: BlockingConnection) throws -> Int {
        let operation = "read the ledger schema's version"
        let exists =
            try connection.query("SELECT to_regclass('public.schema_migrations') IS NOT NULL", operation)
            .first?.decode(Bool.self) ?? false
        guard exists else { return 0 }
        let version =
            try connection.query("SELECT coalesce(max(version), 0)::bigint FROM schema_migrations", operation)
            .first?.decode(Int64.self) ?? 0
        return Int(version)
    }

    /// Checks the schema's version and migrates it (unless `readOnly`); the role the store then writes as (nil
    /// when the URL's role is the writer role itself).
    static func prepare(_ connection: BlockingConnection, readOnly: Bool, create: Bool = true, now: String) throws
        -> String?
    {
        let found = try currentVersion(connection)
        if found > latestVersion {
            throw PostgresLedgerError.newerSchema(
                url: connection.url.description, found: found, supported: latestVersion)
        }
        if readOnly || !create, found == 0 {
            throw PostgresLedgerError.noLedger(url: connection.url.description)
        }
        if readOnly {
            if found == 0 { throw PostgresLedgerError.noLedger(url: connection.url.description) }
        } else if found < latestVersion {
            try migrate(connection, now: now)
        }
        let user = try connection.query("SELECT current_user::text", "read the connection's role").first?
            .decode(String.self)
        return user == writerRole ? nil : writerRole
    }

    /// Creates the writer role (NOLOGIN: it is reached through `SET ROLE` only) unless it exists, makes the
    /// connecting role a member so it may switch to it, and grants it insert and select.
    private static func createWriterRole(_ connection: BlockingConnection) throws {
        let operation = "create the role \(writerRole)"
        try connection.query(
            PostgresQuery(
                unsafeSQL: """
                    DO $$
                    BEGIN
                        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(writerRole)') THEN
                            CREATE ROLE \(writerRole) NOLOGIN;
                        END IF;
                        IF NOT pg_has_role(current_user, '\(writerRole)', 'MEMBER') THEN
                            EXECUTE format('GRANT \(writerRole) TO %I', current_user);
                        END IF;
                    -- Roles belong to the cluster: a migration of another database may create it at the same time.
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN
                        NULL;
                    END
                    $$
                    """), operation)
        for grant in grants {
            try connection.query(PostgresQuery(unsafeSQL: grant), operation)
        }
    }
}
