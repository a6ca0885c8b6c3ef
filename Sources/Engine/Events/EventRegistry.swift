import Foundation
import Ledger

/// The one table of event types: for each, the name the ledger's `type` column holds, the payload's current
/// schema version, and how a recorded payload of that or an older version becomes an `ExecutionEvent`.
///
/// Adding an event type touches this table (one `register` line), `ExecutionEvent` (its case and `payload`) and
/// the fold. Changing a payload's shape raises its `version` here and gives an `upcast` that reads the older
/// versions' JSON into the new payload.
public struct EventRegistry: Sendable {
    /// One event type.
    public struct Entry: Sendable {
        /// The ledger `type`, e.g. "TaskSucceeded".
        public let type: String
        /// The schema version new events of this type are written with.
        public let schemaVersion: Int
        /// Reads a payload recorded at a schema version from 1 to `schemaVersion`.
        let read: @Sendable (_ payload: Data, _ recordedVersion: Int) throws -> ExecutionEvent
        fileprivate let payloadType: ObjectIdentifier
    }

    /// Reads a payload recorded at an older schema version (`recordedVersion` < the entry's `schemaVersion`) as
    /// the current payload type.
    public typealias Upcaster<Payload> = @Sendable (_ payload: Data, _ recordedVersion: Int) throws -> Payload

    private var byType: [String: Entry] = [:]
    private var byPayload: [ObjectIdentifier: Entry] = [:]

    /// An empty registry; `current` is the one the engine uses.
    public init() {}

    /// Registers `Payload` as event type `type` at schema `version`, wrapped into an event by `wrap`; `upcast`
    /// reads versions older than `version` (without one, an older version is read as the current shape).
    public mutating func register<Payload: Codable & Sendable>(
        _ payload: Payload.Type, as type: String, version: Int = 1,
        upcast: Upcaster<Payload>? = nil, _ wrap: @escaping @Sendable (Payload) -> ExecutionEvent
    ) {
        precondition(byType[type] == nil, "event type \(type) registered twice")
        let entry = Entry(
            type: type, schemaVersion: version,
            read: { data, recordedVersion in
                if recordedVersion < version, let upcast {
                    return wrap(try upcast(data, recordedVersion))
                }
                return wrap(try PayloadJSON.decode(Payload.self, from: data))
            },
            payloadType: ObjectIdentifier(payload))
        byType[type] = entry
        byPayload[entry.payloadType] = entry
    }

    /// The entry of ledger type `type`, nil when this version does not know it.
    public func entry(named type: String) -> Entry? { byType[type] }

    /// The entry whose payload is `payload`.
    public func entry(for payload: any Encodable.Type) -> Entry? { byPayload[ObjectIdentifier(payload)] }

    /// Every registered type, by name.
    public var entries: [Entry] { byType.values.sorted { $0.type < $1.type } }

    /// Reads a recorded event. Throws `EngineError.unknownEventType` for a type this version does not know,
    /// `EngineError.newerEventSchema` for a schema version newer than the one known, and
    /// `EngineError.unreadableEvent` for a payload that does not decode.
    public func decode(_ recorded: RecordedEvent) throws -> ExecutionEvent {
        guard let entry = byType[recorded.type] else {
            throw EngineError.unknownEventType(seq: recorded.seq, type: recorded.type)
        }
        guard recorded.schemaVersion <= entry.schemaVersion else {
            throw EngineError.newerEventSchema(
                seq: recorded.seq, type: recorded.type, recorded: recorded.schemaVersion, known: entry.schemaVersion)
        }
        do {
            return try entry.read(recorded.payload, recorded.schemaVersion)
        } catch {
            throw EngineError.unreadableEvent(seq: recorded.seq, type: recorded.type, detail: "\(error)")
        }
    }

    /// The name of `payload`'s event type, for code that matches recorded rows without decoding them.
    public static func name(of payload: any Encodable.Type) -> String {
        guard let entry = current.entry(for: payload) else {
            preconditionFailure("\(payload) is not a registered event payload")
        }
        return entry.type
    }

    /// The registry of this version of the engine.
    public static let current: EventRegistry = {
        var registry = EventRegistry()
        registry.register(ExecutionStarted.self, as: "ExecutionStarted") { .executionStarted($0) }
        registry.register(AttemptStarted.self, as: "AttemptStarted") { .attemptStarted($0) }
        registry.register(TaskRendered.self, as: "TaskRendered") { .taskRendered($0) }
        registry.register(UploadRequested.self, as: "UploadRequested") { .uploadRequested($0) }
        registry.register(FileUploaded.self, as: "FileUploaded") { .fileUploaded($0) }
        registry.register(JobCreateRequested.self, as: "JobCreateRequested") { .jobCreateRequested($0) }
        registry.register(JobCreated.self, as: "JobCreated") { .jobCreated($0) }
        registry.register(JobPolled.self, as: "JobPolled") { .jobPolled($0) }
        registry.register(LogLinesReceived.self, as: "LogLinesReceived") { .logLinesReceived($0) }
        registry.register(OutputsParsed.self, as: "OutputsParsed") { .outputsParsed($0) }
        registry.register(ExitCodeObserved.self, as: "ExitCodeObserved") { .exitCodeObserved($0) }
        registry.register(OutputFileDownloaded.self, as: "OutputFileDownloaded") { .outputFileDownloaded($0) }
        registry.register(OutputFileKept.self, as: "OutputFileKept") { .outputFileKept($0) }
        registry.register(JobDeleteRequested.self, as: "JobDeleteRequested") { .jobDeleteRequested($0) }
        registry.register(JobDeleted.self, as: "JobDeleted") { .jobDeleted($0) }
        registry.register(StagingCleaned.self, as: "StagingCleaned") { .stagingCleaned($0) }
        registry.register(APICallRetried.self, as: "APICallRetried") { .apiCallRetried($0) }
        registry.register(TaskSucceeded.self, as: "TaskSucceeded") { .taskSucceeded($0) }
        registry.register(TaskFailed.self, as: "TaskFailed") { .taskFailed($0) }
        registry.register(TaskCancelled.self, as: "TaskCancelled") { .taskCancelled($0) }
        registry.register(ExecutionFinished.self, as: "ExecutionFinished") { .executionFinished($0) }
        registry.register(Reconciled.self, as: "Reconciled") { .reconciled($0) }
        registry.register(RecoveryFailed.self, as: "RecoveryFailed") { .recoveryFailed($0) }
        registry.register(TaskAdopted.self, as: "TaskAdopted") { .taskAdopted($0) }
        registry.register(ExecutionForked.self, as: "ExecutionForked") { .executionForked($0) }
        registry.register(OutputFileRefused.self, as: "OutputFileRefused") { .outputFileRefused($0) }
        registry.register(KillRequested.self, as: "KillRequested") { .killRequested($0) }
        registry.register(TaskStarted.self, as: "TaskStarted") { .taskStarted($0) }
        registry.register(ExecutionEnding.self, as: "ExecutionEnding") { .executionEnding($0) }
        registry.register(SubflowStarted.self, as: "SubflowStarted") { .subflowStarted($0) }
        registry.register(InputFileUploadRequested.self, as: "InputFileUploadRequested") {
            .inputFileUploadRequested($0)
        }
        registry.register(InputFileUploaded.self, as: "InputFileUploaded") { .inputFileUploaded($0) }
        registry.register(ConcurrencyQueued.self, as: "ConcurrencyQueued") { .concurrencyQueued($0) }
        registry.register(ConcurrencySlotTaken.self, as: "ConcurrencySlotTaken") { .concurrencySlotTaken($0) }
        registry.register(ConcurrencyRefused.self, as: "ConcurrencyRefused") { .concurrencyRefused($0) }
        return registry
    }()
}
