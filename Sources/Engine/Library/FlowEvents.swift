import Foundation
import Ledger

/// A flow saved in the ledger: one event per revision, in the flow's own stream (`FlowLibrary.stream`), with the
/// whole YAML text, so the history of what ran holds the exact flow of every revision.
public struct FlowSaved: Codable, Sendable, Equatable {
    public var namespace: String
    public var flowId: String
    /// From 1, one more than the flow's previous revision (a flow deleted and saved again goes on counting).
    public var revision: Int
    public var source: String
    public var sourceSHA256: String
    /// Who saved it (a server's caller).
    public var requestedBy: String?

    public static let type = "FlowSaved"
}

/// A flow deleted from the library: executions can no longer start from it; its revisions stay in the ledger.
public struct FlowDeleted: Codable, Sendable, Equatable {
    public var namespace: String
    public var flowId: String
    /// The revision that was current when it was deleted.
    public var revision: Int
    public var requestedBy: String?

    public static let type = "FlowDeleted"
}

/// One revision of a flow as the library reads it back.
public struct FlowRevision: Sendable, Equatable {
    public var namespace: String
    public var flowId: String
    public var revision: Int
    public var source: String
    public var sourceSHA256: String
    public var requestedBy: String?
    /// When it was saved (the ledger's `recorded_at`).
    public var savedAt: String
    /// The global position of the event that saved it.
    public var seq: Int64
}

/// Where each flow of the library stands: its latest revision and whether it is deleted. A cached projection of
/// the flow streams (every other stream is ignored), so listing the library reads one row per flow.
public struct FlowCatalogProjection: CachedProjection {
    public struct State: Codable, Equatable, Sendable {
        public var namespace = ""
        public var flowId = ""
        public var revision = 0
        public var deleted = false
        public var savedAt: String?
        /// The seq of the event that saved the latest revision.
        public var seq: Int64 = 0
    }

    public static let name = "flow-catalog"

    public static func key(for event: RecordedEvent) -> String? {
        FlowLibrary.isFlowStream(event.stream) ? event.stream : nil
    }

    public static func initialState(key: String) -> State { State() }

    public static func apply(_ event: RecordedEvent, to state: inout State) throws {
        switch event.type {
        case FlowSaved.type:
            let saved = try JSONDecoder().decode(FlowSaved.self, from: event.payload)
            state = State(
                namespace: saved.namespace, flowId: saved.flowId, revision: saved.revision, deleted: false,
                savedAt: event.recordedAt, seq: event.seq)
        case FlowDeleted.type:
            state.deleted = true
        default:
            break
        }
    }
}
