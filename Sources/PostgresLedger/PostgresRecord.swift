import Foundation
import Ledger
import PostgresNIO
import Primitives
import Synchronization

/// PostgreSQL as the ledger of record of an `EventStore` (see `LedgerOfRecord`): one connection, working as the
/// insert-only writer role, on which the store's writer thread commits each group of appends and lease writes in
/// one transaction, serialised with every writer on any host by the append lock. A connection that breaks is
/// opened again; a transaction that failed before its commit was sent is tried again on the new connection
/// until `retryFor` has passed, so a restart of the server costs time, never an acknowledged event.
public final class PostgresRecord: LedgerOfRecord, @unchecked Sendable {
    public let url: PostgresURL
    private let role: String?
    private let retryFor: Duration
    private let lock = NSLock()
    /// Guarded by `lock`: the connection, opened on first use and again after it broke.
    private var connection: BlockingConnection?

    private init(url: PostgresURL, role: String?, connection: BlockingConnection, retryFor: Duration) {
        self.url = url
        self.role = role
        self.connection = connection
        self.retryFor = retryFor
    }

    /// Connects to the ledger at `url`, migrating its schema first unless `readOnly` (a database without it is
    /// then `noLedger`).
    ///
    /// - Parameter retryFor: how long a write goes on trying while the server cannot be reached.
    /// - Parameter create: false: a database without the ledger's schema is `noLedger` (nothing is created).
    public static func open(
        url text: String, readOnly: Bool = false, create: Bool = true, retryFor: Duration = .seconds(60)
    ) throws -> PostgresRecord {
        let url = try PostgresURL(text)
        let connection = try BlockingConnection.connect(url, operation: "open the ledger")
        do {
            let role = try PostgresSchema.prepare(
                connection, readOnly: readOnly, create: create, now: Timestamp.rfc3339(Date()))
            try assume(role, connection)
            return PostgresRecord(url: url, role: role, connection: connection, retryFor: retryFor)
        } catch {
            connection.close()
            throw error
        }
    }

    deinit {
        connection?.close()
    }

    public var description: String { url.description }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        connection?.close()
        connection = nil
    }

    /// Switches the session to the writer role, and ends a transaction left idle by a client that went away
    /// (its append lock would stop every writer on every host).
    private static func assume(_ role: String?, _ connection: BlockingConnection) throws {
        try connection.query(
            "SELECT set_config('idle_in_transaction_session_timeout', '60s', false)", "configure the session")
        if let role {
            do {
                try connection.query(PostgresQuery(unsafeSQL: "SET ROLE \(role)"), "switch to the role \(role)")
            } catch let error as PostgresLedgerError where error.sqlState == "42501" {
                throw PostgresLedgerError.server(
                    url: connection.url.description, operation: "switch to the role \(role)", sqlState: "42501",
                    message: "the URL's user may not act as \(role); as the user that created the ledger, run "
                        + "GRANT \(role) TO \(connection.url.user)")
            }
        }
        // A session's own function, gone with the session: the schema stays the SQLite ledger's. Where temporary
        // objects are not allowed, every group takes the two-step way.
        connection.appendsInOneStatement =
            (try? connection.query(PostgresQuery(unsafeSQL: oneStatementFunction), "prepare the session")) != nil
    }

    /// Writes one group of appends computed from the local file's chain, in one statement (inside a READ
    /// COMMITTED transaction): it takes the append lock, then checks, each statement reading what every earlier
    /// holder of the lock committed, that the chain's tail is still the one the rows continue, that every fenced lease
    /// still has its token, and that no idempotency key was used; only then does it insert the rows and keys.
    /// Returns the transaction's id, or NULL (nothing written) when a check failed: the group is then run the
    /// two-step way, which reads the database's state and decides each append on it.
    static let oneStatementFunction = """
        CREATE OR REPLACE FUNCTION pg_temp.batchledger_append(
            tail_seq bigint, tail_hash bytea,
            row_seqs bigint[], row_streams text[], row_versions bigint[], row_types text[],
            row_schema_versions bigint[], row_recorded_ats text[], row_payloads bytea[], row_payload_digests bytea[],
            row_prev_hashes bytea[], row_hashes bytea[], row_stream_hashes bytea[],
            key_names text[], key_streams text[], key_firsts bigint[], key_lasts bigint[], key_digests bytea[],
            fence_streams text[], fence_tokens bigint[]
        ) RETURNS bigint LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(\(PostgresSchema.appendLockKey));
            IF tail_seq <> coalesce((SELECT max(seq) FROM events), 0)
               OR (tail_seq > 0 AND NOT EXISTS (SELECT 1 FROM events WHERE seq = tail_seq AND hash = tail_hash)) THEN
                RETURN NULL;
            END IF;
            IF EXISTS (SELECT 1 FROM unnest(fence_streams, fence_tokens) AS fence(fenced, held)
                       WHERE NOT EXISTS (SELECT 1 FROM leases WHERE leases.stream = fence.fenced
                                         AND leases.token = fence.held AND leases.released = 0)) THEN
                RETURN NULL;
            END IF;
            IF EXISTS (SELECT 1 FROM append_keys WHERE append_keys.key = ANY(key_names)) THEN
                RETURN NULL;
            END IF;
            INSERT INTO events(seq, stream, version, type, schema_version, recorded_at, payload, payload_sha256,
                               prev_hash, hash, stream_hash)
            SELECT * FROM unnest(row_seqs, row_streams, row_versions, row_types, row_schema_versions,
                                 row_recorded_ats, row_payloads, row_payload_digests, row_prev_hashes, row_hashes,
                                 row_stream_hashes);
            INSERT INTO append_keys(key, stream, first_seq, last_seq, request_sha256)
            SELECT * FROM unnest(key_names, key_streams, key_firsts, key_lasts, key_digests);
            RETURN txid_current();
        END
        $$
        """

    /// Runs `body` on the connection, opening it again when it broke; a failure to reach the server is tried
    /// again (with a pause growing to a second) while `retry` and until `retryFor` has passed.
    func withConnection<T>(
        _ operation: String, retry: Bool = true, _ body: (BlockingConnection) throws -> T
    ) throws(LedgerError) -> T {
        lock.lock()
        defer { lock.unlock() }
        let deadline = ContinuousClock.now + retryFor
        var pause = Duration.milliseconds(50)
        while true {
            do {
                if connection == nil || connection?.isClosed == true {
                    connection?.close()
                    connection = nil
                    let fresh = try BlockingConnection.connect(url, operation: operation)
                    try Self.assume(role, fresh)
                    connection = fresh
                }
                return try body(connection!)
            } catch let error as LedgerError {
                throw error
            } catch let error as PostgresLedgerError {
                let unreachable: Bool
                if case .connection = error { unreachable = true } else { unreachable = false }
                // A server shutting down answers with SQLSTATE 57P01 (admin shutdown) before it closes.
                let shuttingDown = ["57P01", "57P02", "57P03"].contains(error.sqlState ?? "")
                if (unreachable || shuttingDown || connection?.isClosed == true) && retry
                    && ContinuousClock.now < deadline
                {
                    connection?.close()
                    connection = nil
                    Thread.sleep(
                        forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18)
                    pause = min(pause * 2, .seconds(1))
                    continue
                }
                throw .ledgerOfRecord(error.description)
            } catch {
                throw .ledgerOfRecord("\(url): \(operation): \(error)")
            }
        }
    }

    // MARK: Reads

    public func events(after seq: Int64, through last: Int64, limit: Int) throws(LedgerError) -> [RecordedEvent] {
        try withConnection("read events after seq \(seq)") { connection in
            try connection.query(
                "SELECT \(unescaped: PostgresRows.columns) FROM events WHERE seq > \(seq) AND seq <= \(last) ORDER BY seq LIMIT \(Int64(limit))",
                "read events after seq \(seq)"
            ).map(PostgresRows.event(from:))
        }
    }

    public func tail() throws(LedgerError) -> ChainLink {
        try withConnection("read the last event") { connection in try Self.globalTail(connection) }
    }

    public func imports(after seq: Int64, through last: Int64) throws(LedgerError) -> [ImportRecord] {
        try withConnection("read import provenance") { connection in
            try connection.query(
                """
                SELECT imported_seq, stream, source_ledger, source_seq, source_hash, source_stream_hash, imported_at
                FROM imports WHERE imported_seq > \(seq) AND imported_seq <= \(last) ORDER BY imported_seq
                """, "read import provenance"
            ).map { row in
                let (importedSeq, stream, source, sourceSeq, sourceHash, sourceStreamHash, importedAt) = try row.decode(
                    (Int64, String, String, Int64, ByteBuffer, ByteBuffer, String).self)
                return ImportRecord(
                    importedSeq: importedSeq, stream: stream, sourceLedger: source, sourceSeq: sourceSeq,
                    sourceHash: try PostgresRows.digest(sourceHash),
                    sourceStreamHash: try PostgresRows.digest(sourceStreamHash), importedAt: importedAt)
            }
        }
    }

    public func hash(at seq: Int64) throws(LedgerError) -> SHA256Digest? {
        try withConnection("read event \(seq)") { connection in
            let row = try connection.query("SELECT hash FROM events WHERE seq = \(seq)", "read event \(seq)").first
            return try row.map { try PostgresRows.digest(try $0.decode(ByteBuffer.self)) }
        }
    }

    public func leaseHolders(_ streams: [String]) throws(LedgerError) -> [String: LeaseHolder] {
        guard !streams.isEmpty else { return [:] }
        return try withConnection("read leases") { connection in
            var holders: [String: LeaseHolder] = [:]
            for row in try connection.query(
                """
                SELECT stream, token, owner, pid, host, extract(epoch FROM clock_timestamp())::float8 - heartbeat_at,
                    ttl
                FROM leases WHERE stream = ANY(\(streams)::text[]) AND released = 0
                """, "read leases")
            {
                let (stream, token, owner, pid, host, age, ttl) = try row.decode(
                    (String, Int64, String, Int64, String, Double, Double).self)
                holders[stream] = LeaseHolder(
                    owner: owner, pid: Int32(truncatingIfNeeded: pid), host: host, token: token, age: age, ttl: ttl)
            }
            return holders
        }
    }

    public func ledgerKeys() throws(LedgerError) -> [LedgerKey] {
        try withConnection("read the ledger keys") { connection in
            try connection.query("SELECT name, key, created_at FROM ledger_keys ORDER BY name", "read the ledger keys")
                .map { row in
                    let (name, key, createdAt) = try row.decode((String, ByteBuffer, String).self)
                    return LedgerKey(name: name, bytes: Array(key.readableBytesView), createdAt: createdAt)
                }
        }
    }

    public func immutabilityTriggersPresent() throws(LedgerError) -> Bool {
        try withConnection("check the triggers") { connection in
            try connection.query(
                """
                SELECT count(*)::bigint FROM pg_trigger
                WHERE tgrelid = 'public.events'::regclass AND tgenabled <> 'D'
                AND tgname IN ('events_refuse_update', 'events_refuse_delete', 'events_refuse_truncate')
                """, "check the triggers"
            ).first?.decode(Int64.self) == 3
        }
    }

    // MARK: Writes

    public func commit(_ jobs: [RecordJob], now: Date, local: LocalChain?) throws(LedgerError) -> (
        outcomes: [RecordOutcome], tail: Int64
    ) {
        let recordedAt = Timestamp.rfc3339(now)
        return try withConnection("commit \(jobs.count) ledger write(s)") { connection in
            if let local, connection.appendsInOneStatement, twoStepGroupsAhead == 0 {
                if let written = try commitInOneStatement(jobs, local: local, recordedAt: recordedAt, connection) {
                    statistics.oneStatement += 1
                    return written
                }
                // Another host wrote since the local file caught up: the next few groups read the database's state
                // first rather than try (and miss) again.
                statistics.missed += 1
                twoStepGroupsAhead = Self.twoStepGroupsAfterMiss
            } else if twoStepGroupsAhead > 0 {
                twoStepGroupsAhead -= 1
            }
            statistics.twoStep += 1
            return try commitInTwoSteps(jobs, recordedAt: recordedAt, connection)
        }
    }

    /// How many groups after a miss go the two-step way without trying one statement first.
    static let twoStepGroupsAfterMiss = 4

    /// How the groups committed so far were written.
    public struct Statistics: Sendable, Equatable {
        /// Groups written in one statement.
        public var oneStatement = 0
        /// Groups whose one statement found the database moved on, and that were then written in two steps.
        public var missed = 0
        /// Groups written in two steps (those that missed included).
        public var twoStep = 0

        public init(oneStatement: Int = 0, missed: Int = 0, twoStep: Int = 0) {
            self.oneStatement = oneStatement
            self.missed = missed
            self.twoStep = twoStep
        }
    }

    /// Guarded by `lock`.
    private var statistics = Statistics()
    /// Guarded by `lock`: groups still to go the two-step way after a miss.
    private var twoStepGroupsAhead = 0

    /// How the groups committed so far were written.
    public var currentStatistics: Statistics {
        lock.lock()
        defer { lock.unlock() }
        return statistics
    }

    /// Writes a group of appends in one statement (`oneStatementFunction`), its rows computed from `local`; nil
    /// when the database's state was not `local` (nothing was written). The transaction, the statement and the
    /// commit go out together: the connection sends each once the one before has answered, so a commit is sent
    /// only after the statement's answer (the transaction's id) came back. A statement the server refused for
    /// another reason is left to the two-step way too, which names what failed.
    private func commitInOneStatement(
        _ jobs: [RecordJob], local: LocalChain, recordedAt: String, _ connection: BlockingConnection
    ) throws -> (outcomes: [RecordOutcome], tail: Int64)? {
        for job in jobs {
            guard case .append(let append) = job, local.heads[append.stream] != nil else { return nil }
        }
        var group = Group(connection: connection, recordedAt: recordedAt)
        group.assumeLocal(local)
        var outcomes: [RecordOutcome] = []
        var fences: [LeaseFence] = []
        for case .append(let append) in jobs {
            let before = group
            do {
                let result = try group.append(append)
                if !result.replayed, let fence = append.fence { fences.append(fence) }
                outcomes.append(.appended(result))
            } catch let error as LedgerError {
                group = before
                outcomes.append(.failed(error))
            }
        }
        // A group that writes nothing was decided on the local state alone: the two-step way decides it on the
        // database's.
        guard !group.unsent.isEmpty else { return nil }
        let operation = "write to the ledger"
        let statements: [(query: PostgresQuery, operation: String)] = [
            ("BEGIN ISOLATION LEVEL READ COMMITTED", operation),
            (group.oneStatement(fences: fences), "append to the ledger"),
            ("COMMIT", operation),
        ]
        let answers = connection.pipelineResults(statements, waitsForLock: 1)
        let transaction: Int64?
        do {
            transaction = try answers[1].get().first?.decode(Int64?.self)
        } catch {
            // Refused, or its answer lost: nothing is committed (the commit is sent only after that answer).
            _ = try? connection.query("ROLLBACK", operation)
            if connection.isClosed { throw error }
            if let error = error as? PostgresLedgerError, error.sqlState == "42883" {
                connection.appendsInOneStatement = false
            }
            return nil
        }
        do {
            // (A BEGIN refused would have left the statement to commit on its own: its answer decides.)
            _ = try answers[2].get()
        } catch {
            guard connection.isClosed, let transaction else {
                _ = try? connection.query("ROLLBACK", operation)
                throw error
            }
            // The commit was sent and its answer lost: the server says whether that transaction committed.
            guard try committed(transaction) else { throw error }
        }
        // NULL: the database moved on since the local file caught up; the empty transaction committed nothing.
        guard transaction != nil else { return nil }
        return (outcomes, group.tail.seq)
    }

    /// Runs the group in a transaction: the database's state is read first, under the append lock, and every job
    /// decided on it.
    private func commitInTwoSteps(_ jobs: [RecordJob], recordedAt: String, _ connection: BlockingConnection) throws
        -> (outcomes: [RecordOutcome], tail: Int64)
    {
        let operation = "write to the ledger"
        var group = Group(connection: connection, recordedAt: recordedAt)
        var outcomes: [RecordOutcome] = []
        do {
            // The transaction, the append lock and the reads the checks need go out together.
            // READ COMMITTED whatever the database's default: each statement after the lock then reads what
            // every earlier holder of the lock committed (a snapshot taken before the lock would not).
            let answers = try connection.pipeline(
                [
                    ("BEGIN ISOLATION LEVEL READ COMMITTED", operation),
                    ("SELECT txid_current(), pg_advisory_xact_lock(\(PostgresSchema.appendLockKey))::text", operation),
                    (group.prefetchQuery(for: jobs), "read the chain's tail and the heads"),
                ], waitsForLock: 1)
            group.transactionID = try answers[1].first.map { try $0.decode((Int64, String).self).0 }
            try group.take(prefetched: answers[2])
            for job in jobs {
                let before = group
                do {
                    outcomes.append(try group.run(job))
                } catch let error as LedgerError {
                    // A check refused this job: what it counted or buffered is dropped, the others go on.
                    group = before
                    outcomes.append(.failed(error))
                }
            }
        } catch {
            _ = try? connection.query("ROLLBACK", operation)
            throw error
        }
        do {
            // The writes and the commit go out together: a failed write aborts the transaction, and the
            // commit of an aborted transaction is a rollback.
            _ = try connection.pipeline(group.unsentStatements() + [("COMMIT", operation)])
        } catch {
            if connection.isClosed, group.firstInserted != nil, let transaction = group.transactionID {
                // The commit was sent and its answer lost: the server says whether that transaction
                // committed, once it has ended. Running it again otherwise would append the same events twice.
                guard try self.committed(transaction) else { throw error }
            } else {
                // Refused before or at the commit (nothing written), or nothing that matters was written
                // (a lease taken again by the same process, a renewal renewed again).
                _ = try? connection.query("ROLLBACK", operation)
                throw error
            }
        }
        return (outcomes, group.tail.seq)
    }

    /// Whether transaction `id` committed, asked on a new connection after a commit whose answer was lost: the
    /// server answers "in progress" until the old session has ended it, so this waits for that answer rather
    /// than reading rows it may not see yet. Tried until `retryFor` has passed; throws `LedgerError` (never
    /// retried) when it cannot be known.
    private func committed(_ id: Int64) throws -> Bool {
        let deadline = ContinuousClock.now + retryFor
        var lastProblem = "the server did not answer"
        while ContinuousClock.now < deadline {
            do {
                let fresh = try BlockingConnection.connect(url, operation: "check the last commit")
                defer { fresh.close() }
                let status = try fresh.query("SELECT txid_status(\(id))::text", "check the last commit").first?
                    .decode(String?.self)
                switch status {
                case "committed": return true
                case "aborted": return false
                default: lastProblem = "transaction \(id) is \(status ?? "too old to tell")"
                }
            } catch {
                lastProblem = "\(error)"
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw LedgerError.ledgerOfRecord(
            "\(url): the answer to a commit was lost and whether it committed cannot be known (\(lastProblem)); run "
                + "batchledger verify, then batchledger recover, once PostgreSQL answers again")
    }

    static func globalTail(_ connection: BlockingConnection) throws -> ChainLink {
        let row = try connection.query("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", "read the last event")
            .first
        guard let row else { return ChainLink(seq: 0, hash: .zero) }
        let (seq, hash) = try row.decode((Int64, ByteBuffer).self)
        return ChainLink(seq: seq, hash: try PostgresRows.digest(hash))
    }
}

/// One transaction's writes: the chain's tail and the stream heads as this transaction left them.
private struct Group {
    let connection: BlockingConnection
    let recordedAt: String
    var tail = ChainLink(seq: 0, hash: .zero)
    var heads: [String: (version: Int64, hash: SHA256Digest)] = [:]
    /// Idempotency keys used in this transaction, with what they wrote.
    var keys: [String: (stream: String, digest: SHA256Digest, rows: [RecordedEvent])] = [:]
    var firstInserted: ChainLink?
    /// The server's id of this transaction (`txid_current()`), to ask whether it committed.
    var transactionID: Int64?
    /// The current lease token of each fenced stream (nil: none held), as this transaction left it.
    var tokens: [String: Int64?] = [:]
    /// Rows and idempotency keys written by this transaction and not sent yet: one statement each at the end.
    var unsent: [RecordedEvent] = []
    var unsentKeys: [(key: String, stream: String, first: Int64, last: Int64, digest: SHA256Digest)] = []
    var unsentProvenance: [ImportRecord] = []

    /// Whether the tail and heads are the local file's (`assumeLocal`): idempotency keys and lease fences are then
    /// not read here but checked by `oneStatement`.
    var assumed = false

    /// Takes the local file's tail and heads for the database's.
    mutating func assumeLocal(_ local: LocalChain) {
        assumed = true
        tail = local.tail
        for (stream, head) in local.heads { heads[stream] = (head.version, head.hash) }
    }

    /// The statement that writes this group's rows and keys if the database is as assumed (`assumeLocal`) and
    /// `fences` still hold (see `PostgresRecord.oneStatementFunction`).
    func oneStatement(fences: [LeaseFence]) -> PostgresQuery {
        let rows = unsent
        let expected = rows.first.map { ChainLink(seq: $0.seq - 1, hash: $0.prevHash) } ?? tail
        return """
            SELECT pg_temp.batchledger_append(\(expected.seq), \(ByteBuffer(bytes: expected.hash.bytes)),
                \(rows.map(\.seq))::bigint[], \(rows.map(\.stream))::text[], \(rows.map(\.version))::bigint[],
                \(rows.map(\.type))::text[], \(rows.map { Int64($0.schemaVersion) })::bigint[],
                \(rows.map(\.recordedAt))::text[], \(rows.map { ByteBuffer(bytes: $0.payload) })::bytea[],
                \(rows.map { ByteBuffer(bytes: $0.payloadSHA256.bytes) })::bytea[],
                \(rows.map { ByteBuffer(bytes: $0.prevHash.bytes) })::bytea[],
                \(rows.map { ByteBuffer(bytes: $0.hash.bytes) })::bytea[],
                \(rows.map { ByteBuffer(bytes: $0.streamHash.bytes) })::bytea[],
                \(unsentKeys.map(\.key))::text[], \(unsentKeys.map(\.stream))::text[],
                \(unsentKeys.map(\.first))::bigint[], \(unsentKeys.map(\.last))::bigint[],
                \(unsentKeys.map { ByteBuffer(bytes: $0.digest.bytes) })::bytea[],
                \(fences.map(\.stream))::text[], \(fences.map(\.token))::bigint[])
            """
    }

    /// The statement that reads what the jobs' checks need: the chain's tail, the head of every stream they
    /// write, and the lease token of every stream they fence.
    mutating func prefetchQuery(for jobs: [RecordJob]) -> PostgresQuery {
        var streams: Set<String> = []
        var fenced: Set<String> = []
        for job in jobs {
            switch job {
            case .append(let append):
                streams.insert(append.stream)
                if let fence = append.fence { fenced.insert(fence.stream) }
            case .importEvents(let events, _, _), .copy(let events):
                streams.formUnion(events.map(\.stream))
            default: break
            }
        }
        for stream in streams { heads[stream] = (0, .zero) }
        for stream in fenced { tokens[stream] = .some(nil) }
        return """
            SELECT 0::bigint, seq, ''::text, hash FROM (SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1) tail
            UNION ALL
            SELECT 1, head.version, wanted.stream, head.stream_hash FROM unnest(\(Array(streams))::text[]) wanted(stream)
            JOIN LATERAL (SELECT version, stream_hash FROM events e WHERE e.stream = wanted.stream
                          ORDER BY version DESC LIMIT 1) head ON true
            UNION ALL
            SELECT 2, token, stream, NULL::bytea FROM leases WHERE stream = ANY(\(Array(fenced))::text[]) AND released = 0
            """
    }

    /// Takes the answer of `prefetchQuery`.
    mutating func take(prefetched rows: [PostgresRow]) throws {
        for row in rows {
            let (kind, number, stream, digest) = try row.decode((Int64, Int64, String, ByteBuffer?).self)
            switch kind {
            case 0: tail = ChainLink(seq: number, hash: try PostgresRows.digest(digest ?? ByteBuffer()))
            case 1: heads[stream] = (number, try PostgresRows.digest(digest ?? ByteBuffer()))
            default: tokens[stream] = .some(number)
            }
        }
    }

    /// The statements that send the rows, idempotency keys and import provenance this transaction wrote, each
    /// kind in one statement.
    mutating func unsentStatements() -> [(query: PostgresQuery, operation: String)] {
        var statements: [(query: PostgresQuery, operation: String)] = []
        if let first = unsent.first {
            if firstInserted == nil { firstInserted = ChainLink(seq: first.seq, hash: first.hash) }
            statements.append((Self.insertQuery(unsent), "append to the ledger"))
        }
        if !unsentKeys.isEmpty {
            statements.append(
                (
                    """
                    INSERT INTO append_keys(key, stream, first_seq, last_seq, request_sha256)
                    SELECT * FROM unnest(\(unsentKeys.map(\.key))::text[], \(unsentKeys.map(\.stream))::text[],
                        \(unsentKeys.map(\.first))::bigint[], \(unsentKeys.map(\.last))::bigint[],
                        \(unsentKeys.map { ByteBuffer(bytes: $0.digest.bytes) })::bytea[])
                    """, "record idempotency keys"
                ))
        }
        if !unsentProvenance.isEmpty {
            let provenance = unsentProvenance
            statements.append(
                (
                    """
                    INSERT INTO imports(imported_seq, stream, source_ledger, source_seq, source_hash,
                                        source_stream_hash, imported_at)
                    SELECT * FROM unnest(\(provenance.map(\.importedSeq))::bigint[], \(provenance.map(\.stream))::text[],
                        \(provenance.map(\.sourceLedger))::text[], \(provenance.map(\.sourceSeq))::bigint[],
                        \(provenance.map { ByteBuffer(bytes: $0.sourceHash.bytes) })::bytea[],
                        \(provenance.map { ByteBuffer(bytes: $0.sourceStreamHash.bytes) })::bytea[],
                        \(provenance.map(\.importedAt))::text[])
                    """, "record where imported events came from"
                ))
        }
        return statements
    }

    mutating func run(_ job: RecordJob) throws -> RecordOutcome {
        switch job {
        case .append(let append):
            return .appended(try self.append(append))
        case .acquireLease(let stream, let owner, let host, let pid, let ttl, let decide):
            let outcome = try acquire(stream, owner: owner, host: host, pid: pid, ttl: ttl, decide: decide)
            if case .acquired(let token) = outcome, tokens[stream] != nil { tokens[stream] = .some(token) }
            return .lease(outcome)
        case .renewLeases(let leases):
            return .lost(try renew(leases))
        case .releaseLease(let stream, let token):
            let changed = try connection.execute(
                "UPDATE leases SET released = 1 WHERE stream = \(stream) AND token = \(token)", "give up a lease")
            if changed > 0, tokens[stream] != nil { tokens[stream] = .some(nil) }
            return .done
        case .ledgerKey(let name, let candidate):
            return .key(try key(name, candidate: candidate))
        case .copy(let rows):
            try copy(rows)
            return .done
        case .importEvents(let events, let source, let importedAt):
            return try importEvents(events, source: source, importedAt: importedAt)
        case .copyKeys(let keys):
            // Every key is checked before any is stored: a mismatch writes nothing.
            for key in keys {
                if let stored = try storedKey(key.name), stored != key.bytes {
                    throw LedgerError.invalidArgument("the target already has another key named '\(key.name)'")
                }
            }
            for key in keys {
                _ = try self.key(key.name, candidate: key.bytes, createdAt: key.createdAt)
            }
            return .done
        }
    }

    private mutating func head(_ stream: String) throws -> (version: Int64, hash: SHA256Digest) {
        if let known = heads[stream] { return known }
        let row = try connection.query(
            "SELECT version, stream_hash FROM events WHERE stream = \(stream) ORDER BY version DESC LIMIT 1",
            "read stream \(stream)"
        ).first
        var head: (version: Int64, hash: SHA256Digest) = (0, .zero)
        if let row {
            let (version, hash) = try row.decode((Int64, ByteBuffer).self)
            head = (version, try PostgresRows.digest(hash))
        }
        heads[stream] = head
        return head
    }

    mutating func append(_ append: RecordAppend) throws -> AppendResult {
        let stream = append.stream
        if let key = append.idempotencyKey, let digest = append.requestDigest {
            if let used = keys[key] {
                guard used.stream == stream, used.digest == digest else {
                    throw LedgerError.idempotencyKeyReused(key: key, stream: stream)
                }
                return AppendResult(events: used.rows, replayed: true)
            }
            // Assumed unused when the group is written in one statement, which checks it.
            let previous =
                assumed
                ? nil
                : try connection.query(
                    "SELECT stream, first_seq, last_seq, request_sha256 FROM append_keys WHERE key = \(key)",
                    "read an idempotency key"
                ).first
            if let previous {
                let (previousStream, first, last, previousDigest) = try previous.decode(
                    (String, Int64, Int64, ByteBuffer).self)
                guard previousStream == stream, SHA256Digest(bytes: previousDigest.readableBytesView) == digest else {
                    throw LedgerError.idempotencyKeyReused(key: key, stream: stream)
                }
                let original = try connection.query(
                    "SELECT \(unescaped: PostgresRows.columns) FROM events WHERE seq BETWEEN \(first) AND \(last) ORDER BY seq",
                    "read an earlier append"
                ).map(PostgresRows.event(from:))
                return AppendResult(events: original, replayed: true)
            }
        }
        if let fence = append.fence, !assumed {
            let current: Int64?
            if let known = tokens[fence.stream] {
                current = known
            } else {
                current = try connection.query(
                    "SELECT token FROM leases WHERE stream = \(fence.stream) AND released = 0", "check the lease"
                ).first?.decode(Int64.self)
            }
            guard current == fence.token else { throw LedgerError.leaseLost(stream: fence.stream) }
        }
        let current = try head(stream)
        switch append.expectedVersion {
        case .any: break
        case .noStream where current.version == 0: break
        case .exactly(let version) where version == current.version: break
        default:
            throw LedgerError.versionConflict(stream: stream, expected: append.expectedVersion, actual: current.version)
        }
        var version = current.version
        var streamHash = current.hash
        var rows: [RecordedEvent] = []
        rows.reserveCapacity(append.events.count)
        for event in append.events {
            version += 1
            let seq = tail.seq + 1
            let payloadDigest = SHA256Digest.of(event.payload)
            let hash = HashChain.globalHash(
                prev: tail.hash, seq: seq, stream: stream, version: version, type: event.type,
                schemaVersion: event.schemaVersion, recordedAt: recordedAt, payloadSHA256: payloadDigest)
            streamHash = HashChain.streamHash(
                prev: streamHash, stream: stream, version: version, type: event.type,
                schemaVersion: event.schemaVersion, recordedAt: recordedAt, payloadSHA256: payloadDigest)
            rows.append(
                RecordedEvent(
                    seq: seq, stream: stream, version: version, type: event.type, schemaVersion: event.schemaVersion,
                    recordedAt: recordedAt, payload: event.payload, payloadSHA256: payloadDigest, prevHash: tail.hash,
                    hash: hash, streamHash: streamHash))
            tail = ChainLink(seq: seq, hash: hash)
        }
        unsent += rows
        heads[stream] = (version, streamHash)
        if let key = append.idempotencyKey, let digest = append.requestDigest, let first = rows.first,
            let last = rows.last
        {
            unsentKeys.append((key, stream, first.seq, last.seq, digest))
            keys[key] = (stream, digest, rows)
        }
        return AppendResult(events: rows, replayed: false)
    }

    /// The statement that inserts `rows` (arrays of columns, unnested).
    static func insertQuery(_ rows: [RecordedEvent]) -> PostgresQuery {
        """
        INSERT INTO events(seq, stream, version, type, schema_version, recorded_at, payload, payload_sha256,
                           prev_hash, hash, stream_hash)
        SELECT * FROM unnest(\(rows.map(\.seq))::bigint[], \(rows.map(\.stream))::text[],
            \(rows.map(\.version))::bigint[], \(rows.map(\.type))::text[],
            \(rows.map { Int64($0.schemaVersion) })::bigint[], \(rows.map(\.recordedAt))::text[],
            \(rows.map { ByteBuffer(bytes: $0.payload) })::bytea[],
            \(rows.map { ByteBuffer(bytes: $0.payloadSHA256.bytes) })::bytea[],
            \(rows.map { ByteBuffer(bytes: $0.prevHash.bytes) })::bytea[],
            \(rows.map { ByteBuffer(bytes: $0.hash.bytes) })::bytea[],
            \(rows.map { ByteBuffer(bytes: $0.streamHash.bytes) })::bytea[])
        """
    }

    /// Each event as the next version of its stream, with its own time, continuing the global chain here; its
    /// stream hash must come out as the source's.
    private mutating func importEvents(_ events: [RecordedEvent], source: String, importedAt: String) throws
        -> RecordOutcome
    {
        var rows: [RecordedEvent] = []
        var provenance: [ImportRecord] = []
        for event in events {
            let current = try head(event.stream)
            guard event.version == current.version + 1 else {
                throw LedgerError.versionConflict(
                    stream: event.stream, expected: .exactly(event.version - 1), actual: current.version)
            }
            let seq = tail.seq + 1
            let digest = SHA256Digest.of(event.payload)
            let hash = HashChain.globalHash(
                prev: tail.hash, seq: seq, stream: event.stream, version: event.version, type: event.type,
                schemaVersion: event.schemaVersion, recordedAt: event.recordedAt, payloadSHA256: digest)
            let streamHash = HashChain.streamHash(
                prev: current.hash, stream: event.stream, version: event.version, type: event.type,
                schemaVersion: event.schemaVersion, recordedAt: event.recordedAt, payloadSHA256: digest)
            guard streamHash == event.streamHash else {
                throw LedgerError.invalidArgument(
                    "execution \(event.stream) version \(event.version) would get stream hash \(streamHash.hex), "
                        + "not the source's \(event.streamHash.hex)")
            }
            rows.append(
                RecordedEvent(
                    seq: seq, stream: event.stream, version: event.version, type: event.type,
                    schemaVersion: event.schemaVersion, recordedAt: event.recordedAt, payload: event.payload,
                    payloadSHA256: digest, prevHash: tail.hash, hash: hash, streamHash: streamHash))
            provenance.append(
                ImportRecord(
                    importedSeq: seq, stream: event.stream, sourceLedger: source, sourceSeq: event.seq,
                    sourceHash: event.hash, sourceStreamHash: event.streamHash, importedAt: importedAt))
            heads[event.stream] = (event.version, streamHash)
            tail = ChainLink(seq: seq, hash: hash)
        }
        unsent += rows
        unsentProvenance += provenance
        return .imported(rows, provenance)
    }

    private mutating func copy(_ rows: [RecordedEvent]) throws {
        var known: [String: (version: Int64, hash: SHA256Digest)] = [:]
        for row in rows where known[row.stream] == nil {
            known[row.stream] = try head(row.stream)
        }
        let heads = known
        var continuation = ChainContinuation(tail: tail) { stream in heads[stream] ?? (0, .zero) }
        for row in rows {
            try continuation.accept(row)
            self.heads[row.stream] = (row.version, row.streamHash)
        }
        unsent += rows
        tail = continuation.tail
    }

    /// The lease row of `stream` (locked for this transaction) decides; the database's clock ages it, and its
    /// holder's stored TTL says when it expired, so that hosts whose clocks and TTLs differ agree on it. The lease
    /// taken keeps `ttl`.
    private func acquire(
        _ stream: String, owner: String, host: String, pid: Int32, ttl: Double, decide: (LeaseHolder) -> Bool
    ) throws -> LeaseOutcome {
        let operation = "take the lease of \(stream)"
        let row = try connection.query(
            """
            SELECT token, owner, pid, host, extract(epoch FROM clock_timestamp())::float8 - heartbeat_at, released,
                ttl
            FROM leases WHERE stream = \(stream) FOR UPDATE
            """, operation
        ).first
        var token: Int64 = 0
        if let row {
            let (current, holderOwner, holderPid, holderHost, age, released, holderTTL) = try row.decode(
                (Int64, String, Int64, String, Double, Int64, Double).self)
            token = current
            let holder = LeaseHolder(
                owner: holderOwner, pid: Int32(truncatingIfNeeded: holderPid), host: holderHost, token: current,
                age: age, ttl: holderTTL)
            if released == 0 && decide(holder) { return .heldBy(holder) }
        }
        try connection.query(
            """
            INSERT INTO leases(stream, token, owner, pid, host, heartbeat_at, released, ttl)
            VALUES (\(stream), \(token + 1), \(owner), \(Int64(pid)), \(host), extract(epoch FROM clock_timestamp()), 0,
                \(ttl))
            ON CONFLICT(stream) DO UPDATE SET token = excluded.token, owner = excluded.owner, pid = excluded.pid,
                host = excluded.host, heartbeat_at = excluded.heartbeat_at, released = 0, ttl = excluded.ttl
            """, operation)
        return .acquired(token: token + 1)
    }

    /// Renews `leases` in one statement; returns those no longer held with their token.
    private func renew(_ leases: [String: Int64]) throws -> Set<String> {
        guard !leases.isEmpty else { return [] }
        let streams = Array(leases.keys)
        let tokens = streams.map { leases[$0]! }
        let renewed = try connection.query(
            """
            UPDATE leases SET heartbeat_at = extract(epoch FROM clock_timestamp())
            FROM unnest(\(streams)::text[], \(tokens)::bigint[]) AS held(stream, token)
            WHERE leases.stream = held.stream AND leases.token = held.token AND leases.released = 0
            RETURNING leases.stream
            """, "renew leases"
        ).map { try $0.decode(String.self) }
        return Set(streams).subtracting(renewed)
    }

    private func storedKey(_ name: String) throws -> [UInt8]? {
        let row = try connection.query(
            "SELECT key FROM ledger_keys WHERE name = \(name)", "read the ledger key \(name)"
        ).first
        return try row.map { Array(try $0.decode(ByteBuffer.self).readableBytesView) }
    }

    private func key(_ name: String, candidate: [UInt8], createdAt: String? = nil) throws -> [UInt8] {
        let operation = "read the ledger key \(name)"
        if let stored = try storedKey(name) { return stored }
        try connection.query(
            """
            INSERT INTO ledger_keys(name, key, created_at)
            VALUES (\(name), \(ByteBuffer(bytes: candidate)), \(createdAt ?? recordedAt))
            """, operation)
        return candidate
    }
}
