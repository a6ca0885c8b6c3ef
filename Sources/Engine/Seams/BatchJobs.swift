import Foundation
import GoogleCloud

/// What the engine needs from Batch: create a job under a fixed id, see it, see many at once, read its exit
/// code, and delete it. `GoogleBatchJobs` answers over Batch's REST API; decision replay answers from a history.
public protocol BatchJobs: Sendable {
    /// Creates the job `jobID` (idempotent through `requestID`), or adopts the one that already has that id.
    func create(_ job: BatchJob, in location: BatchLocation, jobID: String, requestID: String) async throws
        -> JobCreation
    /// The job as Batch sees it now, or nil when Batch does not know it.
    func job(_ name: String) async throws -> JobObservation?
    /// Every job of `location` whose labels match `filter` (a `jobs.list` filter).
    func jobs(in location: BatchLocation, filter: String) async throws -> [JobObservation]
    /// The exit code of the job's (only) task, when Batch reports one.
    func exitCode(ofJob name: String) async throws -> Int?
    /// Deletes the job and waits (up to `deadline`) for the deletion to be accepted; false when it was gone.
    func delete(_ name: String, requestID: String, reason: String, deadline: Duration) async throws -> Bool
}

/// A job as seen at one moment.
public struct JobObservation: Sendable, Equatable {
    public var name: String
    public var uid: String
    public var state: JobState
    /// Batch's history of the job, oldest first.
    public var statusEvents: [JobStatusChange]

    public init(name: String, uid: String, state: JobState, statusEvents: [JobStatusChange]) {
        self.name = name
        self.uid = uid
        self.state = state
        self.statusEvents = statusEvents
    }

    /// The exit code the latest status event carries, if any.
    public var lastExitCode: Int? { statusEvents.last(where: { $0.exitCode != nil })?.exitCode }
}

/// What creating a job did.
public struct JobCreation: Sendable, Equatable {
    public var job: JobObservation
    /// True when a job with this id existed already (an earlier try of the same creation), and was adopted.
    public var adopted: Bool

    public init(job: JobObservation, adopted: Bool) {
        self.job = job
        self.adopted = adopted
    }
}
