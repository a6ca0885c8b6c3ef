import Flows
import Foundation
import Ledger

/// The flows a server runs, kept in the ledger: saving a flow records a new revision (`FlowSaved`, with its YAML
/// text and who saved it) in the flow's stream `flow/NAMESPACE/ID`, deleting it records `FlowDeleted`. Execution
/// ids never contain `/`, so a flow stream is never an execution's.
public struct FlowLibrary: Sendable {
    public let store: EventStore

    public init(store: EventStore) {
        self.store = store
    }

    static let streamPrefix = "flow/"

    /// The stream of flow `namespace`/`id`.
    public static func stream(namespace: String, id: String) -> String { streamPrefix + namespace + "/" + id }

    /// Whether `stream` holds a flow's revisions (not an execution's events).
    public static func isFlowStream(_ stream: String) -> Bool { stream.hasPrefix(streamPrefix) }

    /// Why a save or a delete was refused.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// The flow does not parse or has errors: each at its FILE:LINE:COLUMN.
        case invalid([FlowDiagnostic])
        /// A create of a flow that exists (and is not deleted).
        case exists(namespace: String, id: String, revision: Int)
        /// An update or delete of a flow that does not exist (or is deleted).
        case notFound(namespace: String, id: String)
        /// An update whose YAML names another flow than the path it was sent to.
        case mismatch(expected: String, found: String)
        /// Another save of the same flow was committed first; the caller may try again.
        case conflict(namespace: String, id: String)

        public var description: String {
            switch self {
            case .invalid(let problems): return problems.map(\.description).joined(separator: "\n")
            case .exists(let namespace, let id, let revision):
                return "flow \(namespace).\(id) already exists (revision \(revision)): update it instead"
            case .notFound(let namespace, let id): return "flow \(namespace).\(id) does not exist"
            case .mismatch(let expected, let found):
                return "the flow's YAML names \(found), not \(expected): namespace and id cannot change in an update"
            case .conflict(let namespace, let id):
                return "flow \(namespace).\(id) was saved by someone else at the same time: try again"
            }
        }
    }

    /// What a save should do.
    public enum SaveMode: Sendable, Equatable {
        /// A new flow: refused when it exists.
        case create
        /// A new revision of flow `namespace`/`id`: refused when it does not exist or the YAML names another flow.
        case update(namespace: String, id: String)
    }

    /// Saves `source` (diagnostics name it `path`) as a new revision and returns it. An update whose text is the
    /// current revision's records nothing and returns that revision (as Kestra does).
    @discardableResult
    public func save(_ source: String, path: String, mode: SaveMode, requestedBy: String?) throws -> FlowRevision {
        let flow = try Self.parse(source, path: path)
        let namespace = flow.namespace.value
        let id = flow.id.value
        let stream = Self.stream(namespace: namespace, id: id)
        let current = try store.cachedState(FlowCatalogProjection.self, key: stream)
        let version = try store.currentVersion(of: stream)
        switch mode {
        case .create:
            if let current, !current.deleted {
                throw Refusal.exists(namespace: namespace, id: id, revision: current.revision)
            }
        case .update(let expectedNamespace, let expectedId):
            guard expectedNamespace == namespace, expectedId == id else {
                throw Refusal.mismatch(expected: "\(expectedNamespace).\(expectedId)", found: "\(namespace).\(id)")
            }
            guard let current, !current.deleted else { throw Refusal.notFound(namespace: namespace, id: id) }
            if let latest = try revision(namespace: namespace, id: id, current.revision), latest.source == source {
                return latest
            }
        }
        let saved = FlowSaved(
            namespace: namespace, flowId: id, revision: (current?.revision ?? 0) + 1, source: source,
            sourceSHA256: SHA256Digest.of(Data(source.utf8)).hex, requestedBy: requestedBy)
        do {
            try store.append(
                [try NewEvent(type: FlowSaved.type, encoding: saved)], to: stream,
                expectedVersion: version == 0 ? .noStream : .exactly(version))
        } catch LedgerError.versionConflict {
            throw Refusal.conflict(namespace: namespace, id: id)
        }
        guard let revision = try revision(namespace: namespace, id: id, saved.revision) else {
            throw Refusal.conflict(namespace: namespace, id: id)
        }
        return revision
    }

    /// Deletes flow `namespace`/`id` (its revisions stay in the ledger).
    public func delete(namespace: String, id: String, requestedBy: String?) throws {
        let stream = Self.stream(namespace: namespace, id: id)
        guard let current = try store.cachedState(FlowCatalogProjection.self, key: stream), !current.deleted else {
            throw Refusal.notFound(namespace: namespace, id: id)
        }
        let deleted = FlowDeleted(
            namespace: namespace, flowId: id, revision: current.revision, requestedBy: requestedBy)
        do {
            try store.append(
                [try NewEvent(type: FlowDeleted.type, encoding: deleted)], to: stream,
                expectedVersion: .exactly(try store.currentVersion(of: stream)))
        } catch LedgerError.versionConflict {
            throw Refusal.conflict(namespace: namespace, id: id)
        }
    }

    /// The flow's latest revision; nil when there is none or the flow is deleted (unless `allowDeleted`).
    public func latest(namespace: String, id: String, allowDeleted: Bool = false) throws -> FlowRevision? {
        let stream = Self.stream(namespace: namespace, id: id)
        guard let current = try store.cachedState(FlowCatalogProjection.self, key: stream), current.revision > 0,
            allowDeleted || !current.deleted
        else { return nil }
        return try revision(namespace: namespace, id: id, current.revision)
    }

    /// Revision `number` of the flow, deleted or not; nil when there is no such revision.
    public func revision(namespace: String, id: String, _ number: Int) throws -> FlowRevision? {
        try revisions(namespace: namespace, id: id).first { $0.revision == number }
    }

    /// Every revision of the flow, oldest first.
    public func revisions(namespace: String, id: String) throws -> [FlowRevision] {
        var found: [FlowRevision] = []
        try store.readStream(Self.stream(namespace: namespace, id: id)) { event in
            guard event.type == FlowSaved.type else { return }
            let saved = try JSONDecoder().decode(FlowSaved.self, from: event.payload)
            found.append(
                FlowRevision(
                    namespace: saved.namespace, flowId: saved.flowId, revision: saved.revision, source: saved.source,
                    sourceSHA256: saved.sourceSHA256, requestedBy: saved.requestedBy, savedAt: event.recordedAt,
                    seq: event.seq))
        }
        return found
    }

    /// Where every flow stands (deleted ones included), by namespace then id.
    public func catalog() throws -> [FlowCatalogProjection.State] {
        try store.cachedStates(FlowCatalogProjection.self).values.filter { $0.revision > 0 }
            .sorted { ($0.namespace, $0.flowId) < ($1.namespace, $1.flowId) }
    }

    /// Parses and checks a flow's text: `Refusal.invalid` with every error at its FILE:LINE:COLUMN.
    public static func parse(_ source: String, path: String) throws -> Flow {
        let result = FlowParser.parse(source: source, file: path)
        let errors = result.diagnostics.filter { $0.severity == .error }
        guard let flow = result.flow, errors.isEmpty else {
            if errors.isEmpty {
                throw Refusal.invalid([FlowDiagnostic("not a flow", at: SourceLocation(file: path, line: 1, column: 1))]
                )
            }
            throw Refusal.invalid(errors)
        }
        return flow
    }
}
