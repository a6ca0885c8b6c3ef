import Foundation

/// Keeping the stores within `LocalCloudLimits`: jobs, their tasks and bodies, `requestId`s and operations.
extension BatchService {
    /// A 429 RESOURCE_EXHAUSTED when one more job with `tasks` tasks and a body of `bytes` would not fit.
    func checkRoom(tasks: Int, bytes: Int) throws(APIError) {
        let limits = deps.limits
        let advice = "delete jobs you no longer need (jobs.delete), or start the emulator with a higher"
        if jobs.count >= limits.maxJobs {
            throw APIError.resourceExhausted(
                "LocalCloud already stores \(jobs.count) jobs, its limit (LocalCloudLimits.maxJobs): \(advice) "
                    + "--max-jobs")
        }
        if storedTasks + tasks > limits.maxTasks {
            throw APIError.resourceExhausted(
                "LocalCloud stores jobs with \(storedTasks) tasks in all; \(tasks) more would pass its limit of "
                    + "\(limits.maxTasks) (LocalCloudLimits.maxTasks): \(advice) --max-tasks")
        }
        if storedJobBytes + bytes > limits.maxJobBytes {
            throw APIError.resourceExhausted(
                "LocalCloud stores \(storedJobBytes) bytes of job bodies; this job's \(bytes) more would pass its "
                    + "limit of \(limits.maxJobBytes) (LocalCloudLimits.maxJobBytes): \(advice) --max-job-bytes")
        }
    }

    /// Stores `record` and counts it against the limits.
    func admit(_ record: JobRecord, bytes: Int) {
        if jobs[record.name] != nil { forget(record.name) }
        jobs[record.name] = record
        storedTasks += record.tasks.count
        jobBytes[record.name] = bytes
        storedJobBytes += bytes
    }

    /// Removes a job from the store and from the counts (the caller persists the removal).
    func forget(_ name: String) {
        guard let record = jobs.removeValue(forKey: name) else { return }
        storedTasks -= record.tasks.count
        storedJobBytes -= jobBytes.removeValue(forKey: name) ?? 0
    }

    /// Remembers a `requestId` for an hour; past `2 × maxJobs` entries the expired ones, then the oldest, go.
    func rememberRequestID(_ requestID: String, name: String, at date: Date) {
        let capacity = max(16, deps.limits.maxJobs * 2)
        if requestIDs.count >= capacity {
            requestIDs = requestIDs.filter { now.timeIntervalSince($0.value.at) < 3600 }
        }
        if requestIDs.count >= capacity {
            let oldest = requestIDs.sorted { $0.value.at < $1.value.at }.prefix(requestIDs.count - capacity / 2 + 1)
            for (key, _) in oldest { requestIDs[key] = nil }
        }
        requestIDs[requestID] = (name, date)
    }

    /// Makes room for one more operation: past `maxOperations`, the oldest finished ones are forgotten (a tenth of
    /// the limit at once, so the sort is rare).
    func makeRoomForOperation() {
        let limit = max(1, deps.limits.maxOperations)
        guard operations.count >= limit else { return }
        let finished = operations.filter { $0.value["done"] == .bool(true) }
            .map { (name: $0.key, created: $0.value["metadata"]?["createTime"]?.stringValue ?? "") }
            .sorted { ($0.created, $0.name) < ($1.created, $1.name) }
        for entry in finished.prefix(max(1, limit / 10)) {
            operations[entry.name] = nil
            removePersistedOperation(entry.name)
        }
    }
}
