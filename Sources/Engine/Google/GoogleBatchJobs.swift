import Foundation
import GoogleCloud

/// `BatchJobs` over Batch's REST API.
struct GoogleBatchJobs: BatchJobs {
    let client: BatchClient
    let timing: Timing

    func create(_ job: BatchJob, in location: BatchLocation, jobID: String, requestID: String) async throws
        -> JobCreation
    {
        let creation = try await client.createJob(job, in: location, jobID: jobID, requestID: requestID)
        if case .adopted(let existing) = creation {
            return JobCreation(job: Self.observation(existing, name: location.jobName(jobID)), adopted: true)
        }
        return JobCreation(job: Self.observation(creation.job, name: location.jobName(jobID)), adopted: false)
    }

    func job(_ name: String) async throws -> JobObservation? {
        try await client.getJob(name).map { Self.observation($0, name: name) }
    }

    func jobs(in location: BatchLocation, filter: String) async throws -> [JobObservation] {
        try await client.listAllJobs(in: location, filter: filter, pageSize: 500).compactMap { job in
            job.name.map { Self.observation(job, name: $0) }
        }
    }

    func exitCode(ofJob name: String) async throws -> Int? {
        do {
            return try await client.listTasks(ofJob: name).first?.exitCode
        } catch let error as GoogleAPIError where error.httpStatus == 404 {
            // The job is gone already: its status events are all there is.
            return nil
        }
    }

    func delete(_ name: String, requestID: String, reason: String, deadline: Duration) async throws -> Bool {
        guard let operation = try await client.deleteJob(name, requestID: requestID, reason: reason) else {
            return false
        }
        _ = try await client.waitForOperation(
            operation, every: min(timing.checkInterval, .seconds(1)), deadline: deadline)
        return true
    }

    static func observation(_ job: BatchJob, name: String) -> JobObservation {
        JobObservation(
            name: job.name ?? name, uid: job.uid ?? "", state: job.status?.state.value ?? .unspecified,
            statusEvents: (job.status?.statusEvents ?? []).map(change))
    }

    static func change(_ event: StatusEvent) -> JobStatusChange {
        JobStatusChange(
            type: event.type, description: event.description, time: event.eventTime,
            taskState: event.taskState?.value.name, exitCode: event.taskExecution?.exitCode)
    }
}
