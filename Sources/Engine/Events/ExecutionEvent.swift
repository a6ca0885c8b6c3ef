import Foundation
import Ledger

/// Every event of an execution's stream. Each case's payload is a versioned `Codable` struct; the ledger row's
/// `type` is the case name and `schema_version` the payload's version. Events hold secrets' names and digests,
/// never their values, and log lines already masked.
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

    /// The ledger `type` of each case.
    public var type: String {
        switch self {
        case .executionStarted: return "ExecutionStarted"
        case .attemptStarted: return "AttemptStarted"
        case .taskRendered: return "TaskRendered"
        case .uploadRequested: return "UploadRequested"
        case .fileUploaded: return "FileUploaded"
        case .jobCreateRequested: return "JobCreateRequested"
        case .jobCreated: return "JobCreated"
        case .jobPolled: return "JobPolled"
        case .logLinesReceived: return "LogLinesReceived"
        case .outputsParsed: return "OutputsParsed"
        case .exitCodeObserved: return "ExitCodeObserved"
        case .outputFileDownloaded: return "OutputFileDownloaded"
        case .jobDeleteRequested: return "JobDeleteRequested"
        case .jobDeleted: return "JobDeleted"
        case .stagingCleaned: return "StagingCleaned"
        case .apiCallRetried: return "APICallRetried"
        case .taskSucceeded: return "TaskSucceeded"
        case .taskFailed: return "TaskFailed"
        case .taskCancelled: return "TaskCancelled"
        case .executionFinished: return "ExecutionFinished"
        case .reconciled: return "Reconciled"
        case .recoveryFailed: return "RecoveryFailed"
        case .taskAdopted: return "TaskAdopted"
        case .executionForked: return "ExecutionForked"
        case .outputFileRefused: return "OutputFileRefused"
        }
    }

    /// The payload's schema version (all at 1 so far; an upcaster per type goes in `decode` when one changes).
    public static let schemaVersion = 1

    /// The event as the ledger stores it: canonical JSON of the payload.
    public func encoded() throws -> NewEvent {
        let payload: any Encodable
        switch self {
        case .executionStarted(let value): payload = value
        case .attemptStarted(let value): payload = value
        case .taskRendered(let value): payload = value
        case .uploadRequested(let value): payload = value
        case .fileUploaded(let value): payload = value
        case .jobCreateRequested(let value): payload = value
        case .jobCreated(let value): payload = value
        case .jobPolled(let value): payload = value
        case .logLinesReceived(let value): payload = value
        case .outputsParsed(let value): payload = value
        case .exitCodeObserved(let value): payload = value
        case .outputFileDownloaded(let value): payload = value
        case .jobDeleteRequested(let value): payload = value
        case .jobDeleted(let value): payload = value
        case .stagingCleaned(let value): payload = value
        case .apiCallRetried(let value): payload = value
        case .taskSucceeded(let value): payload = value
        case .taskFailed(let value): payload = value
        case .taskCancelled(let value): payload = value
        case .executionFinished(let value): payload = value
        case .reconciled(let value): payload = value
        case .recoveryFailed(let value): payload = value
        case .taskAdopted(let value): payload = value
        case .executionForked(let value): payload = value
        case .outputFileRefused(let value): payload = value
        }
        return NewEvent(type: type, schemaVersion: Self.schemaVersion, payload: try PayloadJSON.encode(payload))
    }

    /// Reads a recorded event; nil for a type this version does not know (a newer writer's event).
    public static func decode(_ event: RecordedEvent) throws -> ExecutionEvent? {
        func read<T: Decodable>(_ type: T.Type) throws -> T {
            do {
                return try PayloadJSON.decode(type, from: event.payload)
            } catch {
                throw EngineError.unreadableEvent(seq: event.seq, type: event.type, detail: "\(error)")
            }
        }
        switch event.type {
        case "ExecutionStarted": return .executionStarted(try read(ExecutionStarted.self))
        case "AttemptStarted": return .attemptStarted(try read(AttemptStarted.self))
        case "TaskRendered": return .taskRendered(try read(TaskRendered.self))
        case "UploadRequested": return .uploadRequested(try read(UploadRequested.self))
        case "FileUploaded": return .fileUploaded(try read(FileUploaded.self))
        case "JobCreateRequested": return .jobCreateRequested(try read(JobCreateRequested.self))
        case "JobCreated": return .jobCreated(try read(JobCreated.self))
        case "JobPolled": return .jobPolled(try read(JobPolled.self))
        case "LogLinesReceived": return .logLinesReceived(try read(LogLinesReceived.self))
        case "OutputsParsed": return .outputsParsed(try read(OutputsParsed.self))
        case "ExitCodeObserved": return .exitCodeObserved(try read(ExitCodeObserved.self))
        case "OutputFileDownloaded": return .outputFileDownloaded(try read(OutputFileDownloaded.self))
        case "JobDeleteRequested": return .jobDeleteRequested(try read(JobDeleteRequested.self))
        case "JobDeleted": return .jobDeleted(try read(JobDeleted.self))
        case "StagingCleaned": return .stagingCleaned(try read(StagingCleaned.self))
        case "APICallRetried": return .apiCallRetried(try read(APICallRetried.self))
        case "TaskSucceeded": return .taskSucceeded(try read(TaskSucceeded.self))
        case "TaskFailed": return .taskFailed(try read(TaskFailed.self))
        case "TaskCancelled": return .taskCancelled(try read(TaskCancelled.self))
        case "ExecutionFinished": return .executionFinished(try read(ExecutionFinished.self))
        case "Reconciled": return .reconciled(try read(Reconciled.self))
        case "RecoveryFailed": return .recoveryFailed(try read(RecoveryFailed.self))
        case "TaskAdopted": return .taskAdopted(try read(TaskAdopted.self))
        case "ExecutionForked": return .executionForked(try read(ExecutionForked.self))
        case "OutputFileRefused": return .outputFileRefused(try read(OutputFileRefused.self))
        default: return nil
        }
    }
}
