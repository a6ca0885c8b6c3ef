import Foundation

extension EventStore {
    /// Folds the events just inserted (and any the cache missed, for example events appended by a process
    /// that did not register the projection) into each registered projection, inside the append transaction.
    static func updateProjections(
        _ projections: [ProjectionRegistration], with events: [RecordedEvent], _ connection: Connection
    ) throws(LedgerError) {
        guard let first = events.first, let last = events.last else { return }
        for projection in projections {
            let checkpoint = try Self.checkpoint(of: projection, connection)
            if let checkpoint, checkpoint.definitionVersion == projection.definitionVersion {
                try foldRange(from: checkpoint.seq + 1, through: first.seq - 1, into: projection, connection)
                try fold(events.filter { $0.seq > checkpoint.seq }, into: projection, connection)
            } else {
                // No cache yet, or one built by another definition: refold the whole log.
                try clearCache(of: projection, connection)
                try foldRange(from: 1, through: last.seq, into: projection, connection)
            }
            try setCheckpoint(of: projection, to: last.seq, connection)
        }
    }

    /// Brings every registered projection's cache up to the end of the log.
    public func refreshProjections() throws(LedgerError) {
        let projections = options.projections
        guard !projections.isEmpty else { return }
        try withWriter { (connection) throws(LedgerError) in
            try connection.immediateTransaction { () throws(LedgerError) in
                let end = try Self.lastSeq(connection)
                guard end > 0 else { return }
                for projection in projections {
                    let checkpoint = try Self.checkpoint(of: projection, connection)
                    if let checkpoint, checkpoint.definitionVersion == projection.definitionVersion {
                        try Self.foldRange(from: checkpoint.seq + 1, through: end, into: projection, connection)
                    } else {
                        try Self.clearCache(of: projection, connection)
                        try Self.foldRange(from: 1, through: end, into: projection, connection)
                    }
                    try Self.setCheckpoint(of: projection, to: end, connection)
                }
            }
        }
    }

    /// The cached state of `key` in projection `P` (brought up to date first), or nil when no event touched it.
    /// A store opened read-only writes nothing: it folds the events past the cache's checkpoint in memory.
    ///
    /// A read never waits for the writer while the cache is close behind the log (every append brings it up to
    /// date in its own transaction): the cache is read in one snapshot and the few events past its checkpoint are
    /// folded in memory. Only a cache that is missing, of another definition, or far behind (events appended by a
    /// process that does not register `P`) is brought up to date through the writer first.
    public func cachedState<P: CachedProjection>(_ projection: P.Type, key: String) throws -> P.State? {
        try refreshIfFarBehind(P.self)
        return try statesWithoutWriting(P.self, only: key).states[key]
    }

    /// Every cached state of projection `P`, by key (brought up to date first). A store opened read-only writes
    /// nothing: it folds the events past the cache's checkpoint in memory.
    public func cachedStates<P: CachedProjection>(_ projection: P.Type) throws -> [String: P.State] {
        try refreshIfFarBehind(P.self)
        return try statesWithoutWriting(P.self).states
    }

    /// Every state of projection `P` and the last event folded into them: the cache's snapshot with the events
    /// past its checkpoint folded in memory (what `LiveProjection` starts from).
    func foldedStates<P: CachedProjection>(_ projection: P.Type) throws -> (states: [String: P.State], through: Int64) {
        try refreshIfFarBehind(P.self)
        return try statesWithoutWriting(P.self)
    }

    /// How many events past a cache's checkpoint a read folds in memory before it has the writer fold them.
    static let cacheLagFoldedInMemory: Int64 = 1_000

    /// Brings the projections' caches up to date through the writer when `P`'s cache is registered and missing,
    /// of another definition, or more than `cacheLagFoldedInMemory` events behind the log. A read-only store
    /// never writes.
    private func refreshIfFarBehind<P: CachedProjection>(_ projection: P.Type) throws {
        guard !options.readOnly, options.projections.contains(where: { $0.name == P.name }) else { return }
        let current = try withReader { connection -> Bool in
            try connection.readTransaction { () throws(LedgerError) -> Bool in
                guard let checkpoint = try Self.checkpoint(of: ProjectionRegistration(P.self), connection),
                    checkpoint.definitionVersion == P.definitionVersion
                else { return false }
                return try Self.lastSeq(connection) - checkpoint.seq <= Self.cacheLagFoldedInMemory
            }
        }
        if !current { try refreshProjections() }
    }

    /// The cache of `P` (of `key` only, when given) read in one snapshot, and the events after its checkpoint
    /// folded into it in memory; the whole log folded when there is no cache of this definition.
    private func statesWithoutWriting<P: CachedProjection>(_ projection: P.Type, only key: String? = nil) throws
        -> (states: [String: P.State], through: Int64)
    {
        let snapshot = try withReader { connection -> (checkpoint: Int64, rows: [String: Data])? in
            try connection.readTransaction { () throws(LedgerError) -> (checkpoint: Int64, rows: [String: Data])? in
                let registration = ProjectionRegistration(P.self)
                guard let checkpoint = try Self.checkpoint(of: registration, connection),
                    checkpoint.definitionVersion == P.definitionVersion
                else { return nil }
                let query = try connection.statement(
                    "SELECT key, state FROM projection_state WHERE projection = ? AND (?2 IS NULL OR key = ?2)")
                query.bind(1, P.name)
                if let key { query.bind(2, key) } else { query.bindNull(2) }
                defer { query.reset() }
                var rows: [String: Data] = [:]
                while try query.step() { rows[query.text(0)] = query.data(1) }
                return (checkpoint.seq, rows)
            }
        }
        var states: [String: P.State] = [:]
        var after: Int64 = 0
        if let snapshot {
            after = snapshot.checkpoint
            for (name, bytes) in snapshot.rows {
                do {
                    states[name] = try JSONDecoder().decode(P.State.self, from: bytes)
                } catch {
                    throw LedgerError.projection(
                        name: P.name, detail: "cached state of \(name) is unreadable: \(error)")
                }
            }
        }
        var through = after
        try readAll(after: after) { event in
            through = event.seq
            guard let eventKey = P.key(for: event), key == nil || eventKey == key else { return }
            try P.apply(event, to: &states[eventKey, default: P.initialState(key: eventKey)])
        }
        return (states, through)
    }

    /// Folds the whole log into `P` from scratch, without reading or touching the cache.
    public func foldFromLog<P: CachedProjection>(_ projection: P.Type) throws -> [String: P.State] {
        var states: [String: P.State] = [:]
        try readAll { event in
            guard let key = P.key(for: event) else { return }
            try P.apply(event, to: &states[key, default: P.initialState(key: key)])
        }
        return states
    }

    /// Replaces the cache of `P` with a fold of the whole log; returns the number of keys.
    @discardableResult
    public func rebuild<P: CachedProjection>(_ projection: P.Type) throws -> Int {
        let registration = ProjectionRegistration(P.self)
        return try withWriter { (connection) throws(LedgerError) -> Int in
            try connection.immediateTransaction { () throws(LedgerError) -> Int in
                let end = try Self.lastSeq(connection)
                try Self.clearCache(of: registration, connection)
                try Self.foldRange(from: 1, through: end, into: registration, connection)
                try Self.setCheckpoint(of: registration, to: end, connection)
                let count = try connection.statement("SELECT count(*) FROM projection_state WHERE projection = ?")
                count.bind(1, P.name)
                try count.step()
                defer { count.reset() }
                return Int(count.int64(0))
            }
        }
    }

    // MARK: - Cache rows

    private struct Checkpoint {
        var definitionVersion: Int
        var seq: Int64
    }

    private static func checkpoint(of projection: ProjectionRegistration, _ connection: Connection)
        throws(LedgerError) -> Checkpoint?
    {
        let query = try connection.statement(
            "SELECT definition_version, seq FROM projection_checkpoints WHERE projection = ?")
        query.bind(1, projection.name)
        guard try query.step() else { return nil }
        let checkpoint = Checkpoint(definitionVersion: Int(query.int64(0)), seq: query.int64(1))
        query.reset()
        return checkpoint
    }

    private static func setCheckpoint(of projection: ProjectionRegistration, to seq: Int64, _ connection: Connection)
        throws(LedgerError)
    {
        let upsert = try connection.statement(
            """
            INSERT INTO projection_checkpoints(projection, definition_version, seq) VALUES (?, ?, ?)
            ON CONFLICT(projection) DO UPDATE SET definition_version = excluded.definition_version, seq = excluded.seq
            """)
        upsert.bind(1, projection.name)
        upsert.bind(2, Int64(projection.definitionVersion))
        upsert.bind(3, seq)
        try upsert.step()
    }

    private static func clearCache(of projection: ProjectionRegistration, _ connection: Connection)
        throws(LedgerError)
    {
        let delete = try connection.statement("DELETE FROM projection_state WHERE projection = ?")
        delete.bind(1, projection.name)
        try delete.step()
    }

    /// Folds the events `first...last` in chunks, so a rebuild of a long log keeps memory bounded.
    private static func foldRange(
        from first: Int64, through last: Int64, into projection: ProjectionRegistration, _ connection: Connection
    ) throws(LedgerError) {
        let chunk: Int64 = 10_000
        var start = first
        while start <= last {
            let end = min(last, start + chunk - 1)
            try fold(try rows(from: start, through: end, connection), into: projection, connection)
            start = end + 1
        }
    }

    /// Folds `events` into the cached rows of `projection`, one read and one write per key touched.
    private static func fold(
        _ events: [RecordedEvent], into projection: ProjectionRegistration, _ connection: Connection
    )
        throws(LedgerError)
    {
        var byKey: [String: [RecordedEvent]] = [:]
        var order: [String] = []
        for event in events {
            guard let key = projection.key(event) else { continue }
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(event)
        }
        let select = try connection.statement("SELECT state FROM projection_state WHERE projection = ? AND key = ?")
        let upsert = try connection.statement(
            """
            INSERT INTO projection_state(projection, key, state) VALUES (?, ?, ?)
            ON CONFLICT(projection, key) DO UPDATE SET state = excluded.state
            """)
        for key in order {
            select.reset()
            select.bind(1, projection.name)
            select.bind(2, key)
            let cached = try select.step() ? select.data(0) : nil
            select.reset()
            let state: Data
            do {
                state = try projection.fold(cached, key, byKey[key] ?? [])
            } catch let error as LedgerError {
                throw error
            } catch {
                throw .projection(name: projection.name, detail: "folding \(key) failed: \(error)")
            }
            upsert.reset()
            upsert.bind(1, projection.name)
            upsert.bind(2, key)
            upsert.bind(3, state)
            try upsert.step()
        }
    }

    static func lastSeq(_ connection: Connection) throws(LedgerError) -> Int64 {
        let query = try connection.statement("SELECT coalesce(max(seq), 0) FROM events")
        defer { query.reset() }
        try query.step()
        return query.int64(0)
    }
}
