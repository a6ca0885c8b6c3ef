import Foundation

/// One task of a job's only task group, as the emulator tracks it.
struct TaskRecord: Sendable, Codable {
    var index: Int
    var state: String = "PENDING"
    var events: [JSONValue] = []
    var exitCode: Int32?
    /// Process group of the running attempt, with its start time, so a restarted emulator can adopt it.
    var pid: Int32?
    var pidStartTicks: UInt64?
    var exitFile: String?
    var attempt = 0
}

/// A job as stored: the normalized `Job` body plus the state the emulator drives.
struct JobRecord: Sendable, Codable {
    var job: JSONValue
    var name: String
    var uid: String
    var jobID: String
    var project: String
    var location: String
    var requestID: String?
    var createdAt: Date
    var updatedAt: Date
    var state: String = "QUEUED"
    var events: [JSONValue] = []
    var tasks: [TaskRecord]
    var runningSince: Date?
    var endedAt: Date?
    var faults: [StoredJobFault] = []

    /// A job fault as stored with the job (so it survives a restart).
    struct StoredJobFault: Sendable, Codable {
        var kind: String
        var afterMilliseconds: Int64
    }

    var isTerminal: Bool { ["SUCCEEDED", "FAILED", "CANCELLED"].contains(state) }

    func runDuration(now: Date) -> Double {
        guard let start = runningSince else { return 0 }
        let seconds = (endedAt ?? now).timeIntervalSince(start)
        // Saturated, so a stored date far off (a hand-edited state file) cannot overflow the formatting.
        return seconds.isFinite ? min(max(0, seconds), BatchDuration.maxSeconds) : 0
    }

    /// The `Job` resource as answered, with `status` filled from the tracked state.
    func rendered(now: Date, integerEnums: Bool) -> JSONValue {
        var result = job
        var counts: [String: JSONValue] = [:]
        for task in tasks { counts[task.state] = .string(String((counts[task.state]?.int64Value ?? 0) + 1)) }
        var status: [String: JSONValue] = [
            "state": integerEnums ? .int(BatchEnum.jobState.number(state)) : .string(state),
            "runDuration": .string(GoogleDuration.format((runDuration(now: now) * 1000).rounded() / 1000)),
            "taskGroups": .object(["group0": .object(["counts": .object(counts)])]),
        ]
        if !events.isEmpty {
            status["statusEvents"] = .array(events.map { integerEnums ? Self.integerTaskState($0) : $0 })
        }
        result["status"] = .object(status)
        result["updateTime"] = .string(RFC3339.format(updatedAt))
        if integerEnums { result = Self.integerEnums(result) }
        return result
    }

    /// The `Task` resource for task `index`.
    func renderedTask(_ index: Int, integerEnums: Bool) -> JSONValue {
        let task = tasks[index]
        var status: [String: JSONValue] = [
            "state": integerEnums ? .int(BatchEnum.taskState.number(task.state)) : .string(task.state)
        ]
        if !task.events.isEmpty {
            status["statusEvents"] = .array(task.events.map { integerEnums ? Self.integerTaskState($0) : $0 })
        }
        return .object(["name": .string("\(name)/taskGroups/group0/tasks/\(index)"), "status": .object(status)])
    }

    private static func integerTaskState(_ event: JSONValue) -> JSONValue {
        var copy = event
        if let name = event["taskState"]?.stringValue { copy["taskState"] = .int(BatchEnum.taskState.number(name)) }
        return copy
    }

    private static func integerEnums(_ job: JSONValue) -> JSONValue {
        var copy = job
        _ = try? copy.withObject("logsPolicy") { policy throws(APIError) in
            try BatchEnum.destination.normalize(&policy, "destination", path: "", asInteger: true)
        }
        try? copy.forEachObject("taskGroups") { _, group throws(APIError) in
            try BatchEnum.schedulingPolicy.normalize(&group, "schedulingPolicy", path: "", asInteger: true)
            var value = JSONValue.object(group)
            _ = try value.withObject("taskSpec") { spec throws(APIError) in
                var specValue = JSONValue.object(spec)
                try specValue.forEachObject("lifecyclePolicies") { _, policy throws(APIError) in
                    try BatchEnum.lifecycleAction.normalize(&policy, "action", path: "", asInteger: true)
                }
                spec = specValue.objectValue ?? spec
            }
            group = value.objectValue ?? group
        }
        _ = try? copy.withObject("allocationPolicy") { allocation throws(APIError) in
            var value = JSONValue.object(allocation)
            try value.forEachObject("instances") { _, instance throws(APIError) in
                var instanceValue = JSONValue.object(instance)
                _ = try instanceValue.withObject("policy") { policy throws(APIError) in
                    try BatchEnum.provisioningModel.normalize(&policy, "provisioningModel", path: "", asInteger: true)
                }
                instance = instanceValue.objectValue ?? instance
            }
            allocation = value.objectValue ?? allocation
        }
        return copy
    }
}
