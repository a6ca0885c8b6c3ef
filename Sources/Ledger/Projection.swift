import Foundation

/// A projection whose state per key is a pure fold over events, cached in the ledger and updated in the same
/// transaction as the events it folds.
///
/// `apply` must do no I/O and depend on nothing but the state and the event: `rebuild` and `verify` refold the
/// log and expect the same result as the cache.
public protocol CachedProjection: Sendable {
    associatedtype State: Codable & Equatable & Sendable

    /// A stable name, the key of its cache rows.
    static var name: String { get }
    /// Bump when `apply` changes meaning: a cache built by another definition version is rebuilt on next use.
    static var definitionVersion: Int { get }
    /// The key whose state `event` changes, or nil when the projection ignores the event. Defaults to the stream.
    static func key(for event: RecordedEvent) -> String?
    /// The state of a key before its first event.
    static func initialState(key: String) -> State
    /// Folds one event into the state.
    static func apply(_ event: RecordedEvent, to state: inout State) throws
}

extension CachedProjection {
    public static var definitionVersion: Int { 1 }
    public static func key(for event: RecordedEvent) -> String? { event.stream }

    /// Folds `events` from scratch into a state per key: the reference the cache is compared with.
    public static func fold(_ events: some Sequence<RecordedEvent>) throws -> [String: State] {
        var states: [String: State] = [:]
        for event in events {
            guard let key = key(for: event) else { continue }
            try apply(event, to: &states[key, default: initialState(key: key)])
        }
        return states
    }
}

/// A type-erased `CachedProjection`, as registered with an `EventStore`.
public struct ProjectionRegistration: Sendable {
    let name: String
    let definitionVersion: Int
    let key: @Sendable (RecordedEvent) -> String?
    /// Folds events into the cached state bytes of one key (nil: no state yet) and returns the new bytes.
    let fold: @Sendable (_ cached: Data?, _ key: String, _ events: [RecordedEvent]) throws -> Data

    public init<P: CachedProjection>(_ projection: P.Type) {
        name = P.name
        definitionVersion = P.definitionVersion
        key = { P.key(for: $0) }
        fold = { cached, key, events in
            var state: P.State
            if let cached {
                do {
                    state = try JSONDecoder().decode(P.State.self, from: cached)
                } catch {
                    throw LedgerError.projection(name: P.name, detail: "cached state of \(key) is unreadable: \(error)")
                }
            } else {
                state = P.initialState(key: key)
            }
            for event in events {
                try P.apply(event, to: &state)
            }
            return try CanonicalJSON.encode(state)
        }
    }
}
