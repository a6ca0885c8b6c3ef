import Foundation
import Testing

@testable import Ledger

/// A small projection: per stream, how many events of each type, and the last version seen.
struct TypeCounts: CachedProjection {
    struct State: Codable, Equatable, Sendable {
        var counts: [String: Int] = [:]
        var lastVersion: Int64 = 0
        var total = 0
    }

    static let name = "type-counts"

    static func initialState(key: String) -> State { State() }

    static func apply(_ event: RecordedEvent, to state: inout State) throws {
        state.counts[event.type, default: 0] += 1
        state.lastVersion = event.version
        state.total += try event.decode([String: Int].self)["n"] ?? 0
    }
}

/// Ignores every stream but those that start with "exec-", and keys them by a payload field.
struct ByOwner: CachedProjection {
    static let name = "by-owner"

    static func key(for event: RecordedEvent) -> String? {
        event.stream.hasPrefix("exec-") ? String(event.stream.dropFirst(5)) : nil
    }

    static func initialState(key: String) -> [String] { [] }

    static func apply(_ event: RecordedEvent, to state: inout [String]) throws {
        state.append(event.type)
    }
}

@Suite("Cached projections")
struct ProjectionTests {
    @Test("the cache updated in each append equals a rebuild from the log")
    func rebuildEqualsCache() throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(
            path: folder.path("l.ledger"),
            options: .init(projections: [ProjectionRegistration(TypeCounts.self), ProjectionRegistration(ByOwner.self)])
        )
        for index in 0..<50 {
            let stream = ["exec-x", "exec-y", "other"][index % 3]
            try store.append(
                [try event(index % 4 == 0 ? "JobPolled" : "LogLinesReceived", ["n": index]), try event("Tick")],
                to: stream)
        }
        let cached = try store.cachedStates(TypeCounts.self)
        let folded = try store.foldFromLog(TypeCounts.self)
        #expect(cached == folded)
        #expect(cached.count == 3)
        #expect(cached["other"]?.lastVersion == 32)
        #expect(cached["exec-x"]?.total == stride(from: 0, to: 50, by: 3).reduce(0, +))
        #expect(try store.cachedStates(ByOwner.self) == store.foldFromLog(ByOwner.self))
        #expect(try store.cachedState(ByOwner.self, key: "y")?.count == 34)
        #expect(try store.cachedState(ByOwner.self, key: "other") == nil)

        #expect(try store.rebuild(TypeCounts.self) == 3)
        #expect(try store.cachedStates(TypeCounts.self) == folded)
    }

    @Test("events appended without the projection registered are caught up from the checkpoint")
    func catchUp() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        let options = EventStore.Options(projections: [ProjectionRegistration(TypeCounts.self)])
        do {
            let store = try EventStore(path: path, options: options)
            try store.append([try event("A", ["n": 1])], to: "s")
        }
        do {
            let plain = try EventStore(path: path)
            try plain.append([try event("B", ["n": 2])], to: "s")
            try plain.append([try event("C", ["n": 3])], to: "t")
        }
        let store = try EventStore(path: path, options: options)
        #expect(rawInteger(path, "SELECT seq FROM projection_checkpoints WHERE projection = 'type-counts'") == 1)
        try store.append([try event("D", ["n": 4])], to: "s")
        let cached = try store.cachedStates(TypeCounts.self)
        #expect(cached == (try store.foldFromLog(TypeCounts.self)))
        #expect(cached["s"] == TypeCounts.State(counts: ["A": 1, "B": 1, "D": 1], lastVersion: 3, total: 7))
        #expect(cached["t"]?.total == 3)
    }

    @Test("a tampered cache is told apart from the log's fold, and rebuild repairs it")
    func tamperedCacheIsRepaired() throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(
            path: folder.path("l.ledger"), options: .init(projections: [ProjectionRegistration(TypeCounts.self)]))
        try store.append([try event("A", ["n": 5])], to: "s")
        let forged = String(decoding: try CanonicalJSON.encode(TypeCounts.State(total: 999)), as: UTF8.self)
        #expect(rawSQL(store.path, "UPDATE projection_state SET state = CAST('\(forged)' AS BLOB)") == nil)
        #expect(try store.cachedStates(TypeCounts.self) != store.foldFromLog(TypeCounts.self))
        try store.rebuild(TypeCounts.self)
        #expect(try store.cachedStates(TypeCounts.self) == store.foldFromLog(TypeCounts.self))
    }

    @Test("a read folds a short lag in memory and leaves the cache as it was; a long lag is written to the cache")
    func readsFoldTheLagInMemory() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        let options = EventStore.Options(projections: [ProjectionRegistration(TypeCounts.self)])
        let store = try EventStore(path: path, options: options)
        try store.append([try event("A", ["n": 1])], to: "s")
        let plain = try EventStore(path: path)
        try plain.append([try event("B", ["n": 2])], to: "s")
        let checkpoint = "SELECT seq FROM projection_checkpoints WHERE projection = 'type-counts'"

        #expect(try store.cachedState(TypeCounts.self, key: "s")?.total == 3)
        #expect(try store.cachedStates(TypeCounts.self) == store.foldFromLog(TypeCounts.self))
        #expect(rawInteger(path, checkpoint) == 1)

        let lag = Int(EventStore.cacheLagFoldedInMemory)
        for start in stride(from: 0, to: lag, by: 100) {
            try plain.append((start..<start + 100).map { _ in try event("C", ["n": 1]) }, to: "t")
        }
        #expect(try store.cachedStates(TypeCounts.self)["t"]?.total == lag)
        #expect(rawInteger(path, checkpoint) == Int64(lag) + 2)
    }

    @Test("a live projection folds only what was appended since the read before, by any process")
    func liveProjectionFollowsTheLog() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("l.ledger")
        let store = try EventStore(
            path: path, options: .init(projections: [ProjectionRegistration(TypeCounts.self)]))
        try store.append([try event("A", ["n": 1])], to: "s")
        let live = LiveProjection(TypeCounts.self)
        #expect(try live.states(in: store)["s"]?.total == 1)

        try store.append([try event("B", ["n": 2])], to: "s")
        let other = try EventStore(path: path)
        try other.append([try event("C", ["n": 3])], to: "t")
        let states = try live.states(in: store)
        #expect(states == (try store.foldFromLog(TypeCounts.self)))
        #expect(states["s"] == TypeCounts.State(counts: ["A": 1, "B": 1], lastVersion: 2, total: 3))
        #expect(states["t"]?.total == 3)
        // Folded from the log, not from the cache: a forged cache row changes nothing once the states are live.
        #expect(rawSQL(path, "UPDATE projection_state SET state = CAST('{}' AS BLOB)") == nil)
        #expect(try live.states(in: store) == states)
    }
}
