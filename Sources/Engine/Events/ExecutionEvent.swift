import Foundation
import Ledger

/// Every event of an execution's stream. Each case's payload is a versioned `Codable` struct; the ledger row's
/// `type` and `schema_version` come from the payload's entry in `EventRegistry`. Events hold secrets' names and
/// digests, never their values, and log lines already masked.
public enum ExecutionEvent: Sendable, Equatable {
    case executionStarted(ExecutionStarted)
    case attemptStarted(AttemptStarted)
    case taskRendered(TaskRendered)
    case uploadRequested(UploadRequested)
    case fileUploaded(FileUploaded)
    case jobCreateRequested(JobCreateRequested)
    case jobCreated(JobCreated)
    case jobPolled(JobPolled)
    case logLinesReceived(LogLinesReceived)
    case outputsParsed(OutputsParsed)
    case exitCodeObserved(ExitCodeObserved)
    case outputFileDownloaded(OutputFileDownloaded)
    case outputFileKept(OutputFileKept)
    case jobDeleteRequested(JobDeleteRequested)
    case jobDeleted(JobDeleted)
    case stagingCleaned(StagingCleaned)
    case apiCallRetried(APICallRetried)
    case taskSucceeded(TaskSucceeded)
    case taskFailed(TaskFailed)
    case taskCancelled(TaskCancelled)
    case executionFinished(ExecutionFinished)
    case reconciled(Reconciled)
    case recoveryFailed(RecoveryFailed)
    case taskAdopted(TaskAdopted)
    case executionForked(ExecutionForked)
    case outputFileRefused(OutputFileRefused)
    /// In an execution's control stream (`ExecutionControl`), never in its own.
    case killRequested(KillRequested)
    case taskStarted(TaskStarted)
    case executionEnding(ExecutionEnding)
    case subflowStarted(SubflowStarted)
    case inputFileUploadRequested(InputFileUploadRequested)
    case inputFileUploaded(InputFileUploaded)
    case concurrencyQueued(ConcurrencyQueued)
    case concurrencySlotTaken(ConcurrencySlotTaken)
    case concurrencyRefused(ConcurrencyRefused)

    /// The payload, which `EventRegistry` knows by its type.
    public var payload: any Encodable & Sendable {
        switch self {
        case .executionStarted(let value): return value
        case .attemptStarted(let value): return value
        case .taskRendered(let value): return value
        case .uploadRequested(let value): return value
        case .fileUploaded(let value): return value
        case .jobCreateRequested(let value): return value
        case .jobCreated(let value): return value
        case .jobPolled(let value): return value
        case .logLinesReceived(let value): return value
        case .outputsParsed(let value): return value
        case .exitCodeObserved(let value): return value
        case .outputFileDownloaded(let value): return value
        case .outputFileKept(let value): return value
        case .jobDeleteRequested(let value): return value
        case .jobDeleted(let value): return value
        case .stagingCleaned(let value): return value
        case .apiCallRetried(let value): return value
        case .taskSucceeded(let value): return value
        case .taskFailed(let value): return value
        case .taskCancelled(let value): return value
        case .executionFinished(let value): return value
        case .reconciled(let value): return value
        case .recoveryFailed(let value): return value
        case .taskAdopted(let value): return value
        case .executionForked(let value): return value
        case .outputFileRefused(let value): return value
        case .killRequested(let value): return value
        case .taskStarted(let value): return value
        case .executionEnding(let value): return value
        case .subflowStarted(let value): return value
        case .inputFileUploadRequested(let value): return value
        case .inputFileUploaded(let value): return value
        case .concurrencyQueued(let value): return value
        case .concurrencySlotTaken(let value): return value
        case .concurrencyRefused(let value): return value
        }
    }

    /// The event's entry in the registry: its ledger type and schema version.
    private var entry: EventRegistry.Entry {
        let payloadType = Swift.type(of: payload)
        guard let entry = EventRegistry.current.entry(for: payloadType) else {
            preconditionFailure("\(payloadType) has no entry in EventRegistry.current")
        }
        return entry
    }

    /// The ledger `type` of the event.
    public var type: String { entry.type }

    /// The schema version the event is written with.
    public var schemaVersion: Int { entry.schemaVersion }

    /// The event as the ledger stores it: canonical JSON of the payload.
    public func encoded() throws -> NewEvent {
        let entry = entry
        return NewEvent(
            type: entry.type, schemaVersion: entry.schemaVersion, payload: try PayloadJSON.encode(payload))
    }

    /// Reads a recorded event through `EventRegistry.current`: an unknown type, a schema version newer than this
    /// version knows, or a payload that does not decode is an error naming the event's seq and type.
    public static func decode(_ event: RecordedEvent) throws -> ExecutionEvent {
        try EventRegistry.current.decode(event)
    }
}
