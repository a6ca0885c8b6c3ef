import Foundation
import GoogleCloud

/// What Batch knows of BatchLedger's jobs, for recovery: one paged `jobs.list` per project and region, filtered
/// on the label every BatchLedger job carries, answers for all the jobs recovery asks about there; a job the list
/// did not return is asked for alone (`jobs.get`), as one created after the list or gone since.
public actor JobDirectory {
    private var snapshots: [String: Task<[String: JobObservation], Error>] = [:]
    private(set) public var listCalls = 0
    private(set) public var getCalls = 0

    public init() {}

    /// The job named `name` (in `location`), or nil when Batch does not know it.
    public func job(_ name: String, in location: BatchLocation, jobs: any BatchJobs) async throws -> JobObservation? {
        let key = location.description
        let snapshot: Task<[String: JobObservation], Error>
        if let existing = snapshots[key] {
            snapshot = existing
        } else {
            listCalls += 1
            snapshot = Task {
                let listed = try await jobs.jobs(
                    in: location, filter: "labels.\(Naming.managedLabel)=\"\(Naming.managedValue)\"")
                var byName: [String: JobObservation] = [:]
                for job in listed { byName[job.name] = job }
                return byName
            }
            snapshots[key] = snapshot
        }
        if let job = try await snapshot.value[name] { return job }
        getCalls += 1
        return try await jobs.job(name)
    }
}
