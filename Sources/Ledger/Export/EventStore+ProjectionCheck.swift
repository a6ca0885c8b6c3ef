import Foundation

/// What comparing a projection's cache with a fresh fold of the log found.
public struct ProjectionCheck: Sendable, Equatable {
    public var projection: String
    /// The seq the cache claims to be up to date with (nil: no cache yet).
    public var checkpointSeq: Int64?
    public var keysCompared: Int
    /// Keys whose cached state differs from the fold, or that only one side has (sorted, first 20).
    public var mismatchedKeys: [String]
    /// The cache was built by another definition of the projection (it is rebuilt on next write, not compared).
    public var builtByOtherDefinition: Bool

    public var isValid: Bool { mismatchedKeys.isEmpty }
}

extension EventStore {
    /// Folds the log through the cache's checkpoint into `P` from scratch and compares the result with the cached
    /// rows, key by key, without changing the cache (works on a read-only store).
    public func checkProjection<P: CachedProjection>(_ projection: P.Type) throws -> ProjectionCheck {
        let (checkpoint, cached) = try withReader { connection -> ((Int, Int64)?, [String: Data]) in
            try connection.readTransaction { () throws(LedgerError) -> ((Int, Int64)?, [String: Data]) in
                let query = try connection.statement(
                    "SELECT definition_version, seq FROM projection_checkpoints WHERE projection = ?")
                query.bind(1, P.name)
                var checkpoint: (Int, Int64)?
                if try query.step() { checkpoint = (Int(query.int64(0)), query.int64(1)) }
                query.reset()
                let rows = try connection.statement("SELECT key, state FROM projection_state WHERE projection = ?")
                rows.bind(1, P.name)
                var cached: [String: Data] = [:]
                while try rows.step() { cached[rows.text(0)] = rows.data(1) }
                rows.reset()
                return (checkpoint, cached)
            }
        }
        guard let (definition, seq) = checkpoint else {
            return ProjectionCheck(
                projection: P.name, checkpointSeq: nil, keysCompared: 0, mismatchedKeys: [],
                builtByOtherDefinition: false)
        }
        if definition != P.definitionVersion {
            return ProjectionCheck(
                projection: P.name, checkpointSeq: seq, keysCompared: 0, mismatchedKeys: [],
                builtByOtherDefinition: true)
        }
        var folded: [String: P.State] = [:]
        try readAll(through: seq) { event in
            guard let key = P.key(for: event) else { return }
            try P.apply(event, to: &folded[key, default: P.initialState(key: key)])
        }
        var mismatched: [String] = []
        for key in Set(folded.keys).union(cached.keys) {
            guard let bytes = cached[key], let state = folded[key],
                let decoded = try? JSONDecoder().decode(P.State.self, from: bytes), decoded == state
            else {
                mismatched.append(key)
                continue
            }
        }
        return ProjectionCheck(
            projection: P.name, checkpointSeq: seq, keysCompared: Set(folded.keys).union(cached.keys).count,
            mismatchedKeys: Array(mismatched.sorted().prefix(20)), builtByOtherDefinition: false)
    }
}
