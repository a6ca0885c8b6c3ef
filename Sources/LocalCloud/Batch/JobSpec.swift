import Foundation

/// Validation and the server-filled defaults of a `Job` body, as Batch applies them on `jobs.create`.
enum JobSpec {
    /// `^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`.
    static func validateJobID(_ id: String) throws(APIError) {
        let chars = Array(id.utf8)
        let valid =
            (1...63).contains(chars.count) && chars[0] >= 97 && chars[0] <= 122
            && chars.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 } && chars.last != 45
        guard valid else {
            throw APIError.invalidArgument(
                "Invalid value for field 'job_id' (\"\(APIError.excerpt(id))\"): a job id must be 1-63 characters, start with a "
                    + "lowercase letter, contain only lowercase letters, digits and '-', and not end with '-' "
                    + "(regex ^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$)")
        }
    }

    private static func int64String(
        _ object: inout [String: JSONValue], _ key: String, path: String, default value: Int64?
    )
        throws(APIError)
    {
        if let given = object[key] {
            guard let number = given.int64Value else {
                let shown = APIError.excerpt(given.stringValue ?? "a non-numeric value")
                throw APIError.invalidArgument("Invalid value at '\(path)' (\(shown)): expected an int64")
            }
            object[key] = .string(String(number))
        } else if let value {
            object[key] = .string(String(value))
        }
    }

    /// Validates a create body and fills Batch's defaults; `job` comes back in the stored (names) form.
    static func normalize(
        _ body: JSONValue, name: String, uid: String, project: String, location: String, jobID: String, now: Date
    ) throws(APIError) -> JSONValue {
        guard case .object = body else { throw APIError.invalidArgument("The request body must be a Job object") }
        var job = body
        guard let groups = job["taskGroups"]?.arrayValue, !groups.isEmpty else {
            throw APIError.invalidArgument("Field 'job.task_groups' is required: give exactly one task group")
        }
        guard groups.count == 1 else {
            throw APIError.invalidArgument("Field 'job.task_groups' has \(groups.count) groups; only one is supported")
        }
        try job.forEachObject("taskGroups") { _, group throws(APIError) in
            group["name"] = .string("\(name)/taskGroups/group0")
            try int64String(&group, "taskCount", path: "job.task_groups[0].task_count", default: 1)
            let count = group["taskCount"]?.int64Value ?? 1
            guard (1...10_000).contains(count) else {
                throw APIError.invalidArgument(
                    "Invalid value at 'job.task_groups[0].task_count' (\(count)): must be 1-10000")
            }
            try int64String(&group, "parallelism", path: "job.task_groups[0].parallelism", default: count)
            if let parallelism = group["parallelism"]?.int64Value, parallelism < 0 {
                throw APIError.invalidArgument(
                    "Invalid value at 'job.task_groups[0].parallelism' (\(parallelism)): must not be negative")
            }
            try BatchEnum.schedulingPolicy.normalize(
                &group, "schedulingPolicy", path: "job.task_groups[0].scheduling_policy")
            var groupValue = JSONValue.object(group)
            let hasSpec: Void? = try groupValue.withObject("taskSpec") { spec throws(APIError) in
                try normalizeTaskSpec(&spec)
            }
            guard hasSpec != nil else {
                throw APIError.invalidArgument("Field 'job.task_groups[0].task_spec' is required")
            }
            group = groupValue.objectValue ?? group
        }
        _ = try job.withObject("logsPolicy") { policy throws(APIError) in
            try BatchEnum.destination.normalize(&policy, "destination", path: "job.logs_policy.destination")
        }
        _ = try job.withObject("allocationPolicy", create: true) { allocation throws(APIError) in
            var labels = allocation["labels"]?.objectValue ?? [:]
            labels["batch-job-id"] = .string(jobID)
            allocation["labels"] = .object(labels)
            var value = JSONValue.object(allocation)
            try value.forEachObject("instances") { _, instance throws(APIError) in
                var instanceValue = JSONValue.object(instance)
                _ = try instanceValue.withObject("policy") { policy throws(APIError) in
                    try BatchEnum.provisioningModel.normalize(
                        &policy, "provisioningModel",
                        path: "job.allocation_policy.instances[0].policy.provisioning_model")
                }
                instance = instanceValue.objectValue ?? instance
            }
            _ = try value.withObject("location", create: true) { place throws(APIError) in
                if place["allowedLocations"] == nil {
                    place["allowedLocations"] = .array([.string("regions/\(location)"), .string("zones/\(location)-a")])
                }
            }
            _ = try value.withObject("serviceAccount", create: true) { account throws(APIError) in
                if account["email"] == nil { account["email"] = .string("0-compute@developer.gserviceaccount.com") }
            }
            allocation = value.objectValue ?? allocation
        }
        if let labels = job["labels"]?.objectValue {
            for key in labels.keys where key.hasPrefix("goog-") || key.hasPrefix("google-") {
                throw APIError.invalidArgument(
                    "Invalid label key '\(key)' in 'job.labels': the goog- and google- prefixes are reserved")
            }
        }
        let stamp = JSONValue.string(RFC3339.format(now))
        job["name"] = .string(name)
        job["uid"] = .string(uid)
        job["createTime"] = stamp
        job["updateTime"] = stamp
        job["status"] = .object(["state": .string("QUEUED"), "runDuration": .string("0s")])
        return job
    }

    private static func normalizeTaskSpec(_ spec: inout [String: JSONValue]) throws(APIError) {
        guard let runnables = spec["runnables"]?.arrayValue, !runnables.isEmpty else {
            throw APIError.invalidArgument(
                "Field 'job.task_groups[0].task_spec.runnables' is required: give at least one runnable")
        }
        for (index, runnable) in runnables.enumerated() {
            if let container = runnable["container"] {
                guard let image = container["imageUri"]?.stringValue, !image.isEmpty else {
                    throw APIError.invalidArgument(
                        "Field 'job.task_groups[0].task_spec.runnables[\(index)].container.image_uri' is required")
                }
            } else if runnable["script"] == nil && runnable["barrier"] == nil {
                throw APIError.invalidArgument(
                    "Runnable 'job.task_groups[0].task_spec.runnables[\(index)]' needs a container, script or barrier")
            }
            if let timeout = runnable["timeout"] {
                try BatchDuration.validate(
                    timeout, path: "job.task_groups[0].task_spec.runnables[\(index)].timeout", example: "600s")
            }
            for (volumeIndex, volume) in (runnable["container"]?["volumes"]?.arrayValue ?? []).enumerated() {
                try validateContainerVolume(
                    volume, path: "job.task_groups[0].task_spec.runnables[\(index)].container.volumes[\(volumeIndex)]")
            }
        }
        var compute = spec["computeResource"]?.objectValue ?? [:]
        try int64String(
            &compute, "cpuMilli", path: "job.task_groups[0].task_spec.compute_resource.cpu_milli", default: 2000)
        try int64String(
            &compute, "memoryMib", path: "job.task_groups[0].task_spec.compute_resource.memory_mib", default: 2000)
        try int64String(
            &compute, "bootDiskMib", path: "job.task_groups[0].task_spec.compute_resource.boot_disk_mib", default: nil)
        spec["computeResource"] = .object(compute)
        if let duration = spec["maxRunDuration"] {
            try BatchDuration.validate(
                duration, path: "job.task_groups[0].task_spec.max_run_duration", example: "3600s")
        }
        if let retries = spec["maxRetryCount"] {
            guard let count = retries.int64Value, (0...10).contains(count) else {
                throw APIError.invalidArgument(
                    "Invalid value at 'job.task_groups[0].task_spec.max_retry_count': must be 0-10")
            }
            spec["maxRetryCount"] = .int(count)
        }
        var value = JSONValue.object(spec)
        try value.forEachObject("lifecyclePolicies") { index, policy throws(APIError) in
            try BatchEnum.lifecycleAction.normalize(
                &policy, "action", path: "job.task_groups[0].task_spec.lifecycle_policies[\(index)].action")
        }
        try value.forEachObject("volumes") { index, volume throws(APIError) in
            guard let mountPath = volume["mountPath"]?.stringValue, isPlainAbsolutePath(mountPath) else {
                throw APIError.invalidArgument(
                    "Field 'job.task_groups[0].task_spec.volumes[\(index)].mount_path' is required and must be an "
                        + "absolute path without '.' or '..' components")
            }
        }
        spec = value.objectValue ?? spec
    }

    /// `/a/b`: absolute, no `.` or `..` component, no NUL (a path that cannot climb out of the folder it is
    /// joined to).
    static func isPlainAbsolutePath(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.contains("\0") else { return false }
        return path.split(separator: "/").allSatisfy { $0 != "." && $0 != ".." }
    }

    /// A container volume `HOST:CONTAINER[:OPTIONS]` with two plain absolute paths.
    private static func validateContainerVolume(_ volume: JSONValue, path: String) throws(APIError) {
        let parts = volume.stringValue?.split(separator: ":", omittingEmptySubsequences: false).map(String.init) ?? []
        guard (2...3).contains(parts.count), isPlainAbsolutePath(parts[0]), isPlainAbsolutePath(parts[1]) else {
            throw APIError.invalidArgument(
                "Invalid value at '\(path)' (\(APIError.excerpt(volume.stringValue ?? "a non-string value"))): "
                    + "expected HOST:CONTAINER[:ro|rw] with absolute paths without '.' or '..' components")
        }
    }
}
