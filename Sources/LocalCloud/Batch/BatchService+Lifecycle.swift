import Foundation

/// Driving a job: QUEUED → SCHEDULED → RUNNING → SUCCEEDED / FAILED, with status events as Batch writes them.
extension BatchService {
    func instanceName(_ record: JobRecord, _ index: Int) -> String {
        "zones/\(record.location)-a/instances/localcloud-\(record.uid.suffix(6))-\(index)"
    }

    func setJobState(_ record: inout JobRecord, _ state: String, description: String? = nil) {
        let previous = record.state
        record.state = state
        record.updatedAt = now
        record.events.append(
            .object([
                "type": .string("STATUS_CHANGED"),
                "description": .string(
                    description ?? "Job state is set from \(previous) to \(state) for job \(record.name)."),
                "eventTime": .string(RFC3339.format(now)),
            ]))
    }

    /// Moves a task to `state`, writing the event on the task and on the job (with the exit code if any).
    func setTaskState(_ name: String, _ index: Int, _ state: String, exitCode: Int32? = nil, note: String? = nil) {
        guard var record = jobs[name], record.tasks.indices.contains(index) else { return }
        let previous = record.tasks[index].state
        var description = "Task state is updated from \(previous) to \(state) on \(instanceName(record, index))"
        if let exitCode { description += " with exit code \(exitCode)" }
        description += "."
        if let note { description += " " + note }
        var event: [String: JSONValue] = [
            "type": .string("STATUS_CHANGED"), "description": .string(description),
            "eventTime": .string(RFC3339.format(now)), "taskState": .string(state),
        ]
        if let exitCode { event["taskExecution"] = .object(["exitCode": .int(Int64(exitCode))]) }
        record.tasks[index].state = state
        if let exitCode { record.tasks[index].exitCode = exitCode }
        record.tasks[index].events.append(.object(event))
        record.events.append(.object(event))
        record.updatedAt = now
        jobs[name] = record
        persist(name)
    }

    func start(_ name: String) {
        runners[name] = Task { await self.runJob(name) }
    }

    /// Whether the runner of `name` should go on.
    func proceeds(_ name: String) -> Bool { jobs[name] != nil && !stopping.contains(name) && !detached }

    private func transition(_ name: String, to state: String, description: String? = nil) {
        guard var record = jobs[name] else { return }
        setJobState(&record, state, description: description)
        if state == "RUNNING" { record.runningSince = now }
        if ["SUCCEEDED", "FAILED"].contains(state) { record.endedAt = now }
        jobs[name] = record
        persist(name)
    }

    private func addNote(_ name: String, type: String, _ description: String) {
        guard var record = jobs[name] else { return }
        record.events.append(
            .object([
                "type": .string(type), "description": .string(description), "eventTime": .string(RFC3339.format(now)),
            ]))
        jobs[name] = record
        persist(name)
    }

    func runJob(_ name: String) async {
        guard let record = jobs[name] else { return }
        if record.faults.contains(where: { $0.kind == FaultPlan.JobRule.Kind.stuckQueued.rawValue }) { return }
        let delay = deps.startupDelay
        if delay > .zero { try? await Task.sleep(for: delay / 2) }
        guard proceeds(name) else { return }
        transition(name, to: "SCHEDULED")
        for index in record.tasks.indices { setTaskState(name, index, "ASSIGNED") }
        let spec = record.job["taskGroups"]?.arrayValue?.first?["taskSpec"]
        let runnables = spec?["runnables"]?.arrayValue ?? []
        let secretNames = ([spec?["environment"]] + runnables.map { $0["environment"] })
            .flatMap { $0?["secretVariables"]?.objectValue?.keys.map { $0 } ?? [] }
        if !secretNames.isEmpty {
            addNote(
                name, type: "SECRET_VARIABLES",
                "LocalCloud has no Secret Manager: secretVariables \(Set(secretNames).sorted().joined(separator: ", ")) "
                    + "are not set in the job; pass local values with environment.variables instead.")
        }
        let images = runnables.compactMap { $0["container"]?["imageUri"]?.stringValue }
        for image in Set(images).sorted() {
            let runtime = ImageRuntime.forImage(image)
            addNote(
                name, type: "IMAGE_RUNTIME",
                runtime.describe(image: image, pythonDirectory: deps.python.directory))
            if runtime == .python, let problem = await deps.python.prepare() {
                addNote(name, type: "IMAGE_RUNTIME", problem)
                for index in record.tasks.indices {
                    setTaskState(name, index, "FAILED", exitCode: 50000, note: problem)
                }
                transition(name, to: "FAILED")
                return
            }
        }
        if case .unavailable(let message) = deps.sandbox {
            for index in record.tasks.indices { setTaskState(name, index, "FAILED", exitCode: 50000, note: message) }
            transition(
                name, to: "FAILED", description: "Job state is set from SCHEDULED to FAILED for job \(name): \(message)"
            )
            return
        }
        if delay > .zero { try? await Task.sleep(for: delay / 2) }
        guard proceeds(name) else { return }
        transition(name, to: "RUNNING")
        let group = record.job["taskGroups"]?.arrayValue?.first
        let parallelism = max(1, Int(group?["parallelism"]?.int64Value ?? 1))
        let indices = Array(record.tasks.indices)
        var succeeded = true
        var next = 0
        await withTaskGroup(of: Bool.self) { tasks in
            while next < indices.count && next < parallelism {
                let index = indices[next]
                tasks.addTask { await self.runTask(name, index) }
                next += 1
            }
            for await result in tasks {
                succeeded = succeeded && result
                if next < indices.count, proceeds(name) {
                    let index = indices[next]
                    tasks.addTask { await self.runTask(name, index) }
                    next += 1
                }
            }
        }
        guard proceeds(name) else { return }
        transition(name, to: succeeded ? "SUCCEEDED" : "FAILED")
    }

    private func lifecycleAllowsRetry(_ spec: JSONValue?, exitCode: Int32) -> Bool {
        for policy in spec?["lifecyclePolicies"]?.arrayValue ?? [] {
            let codes = (policy["actionCondition"]?["exitCodes"]?.arrayValue ?? []).compactMap { $0.int64Value }
            let listed = codes.contains(Int64(exitCode))
            switch policy["action"]?.stringValue {
            case "FAIL_TASK" where listed: return false
            case "RETRY_TASK" where !listed: return false
            default: continue
            }
        }
        return true
    }

    /// Runs one task with its retries; true when it succeeded.
    func runTask(_ name: String, _ index: Int) async -> Bool {
        guard let record = jobs[name] else { return false }
        let spec = record.job["taskGroups"]?.arrayValue?.first?["taskSpec"]
        let maxRetries = Int(spec?["maxRetryCount"]?.int64Value ?? 0)
        var attempt = 0
        while true {
            guard proceeds(name) else { return false }
            if var current = jobs[name] {
                current.tasks[index].attempt = attempt
                jobs[name] = current
            }
            setTaskState(name, index, "RUNNING")
            let code = await runAttempt(name, index, attempt: attempt)
            guard proceeds(name) else { return false }
            if code == 0 {
                setTaskState(name, index, "SUCCEEDED", exitCode: 0)
                return true
            }
            if attempt < maxRetries && lifecycleAllowsRetry(spec, exitCode: code) {
                setTaskState(name, index, "FAILED", exitCode: code, note: "Retrying (attempt \(attempt + 2)).")
                attempt += 1
                continue
            }
            setTaskState(name, index, "FAILED", exitCode: code)
            return false
        }
    }
}
