import Foundation

/// Batch v1 state: jobs, their tasks, long-running operations and `requestId`s; it also owns the
/// running jobs (the emulator process, not the client, keeps them going).
actor BatchService {
    struct Dependencies: Sendable {
        var storage: StorageService
        var logs: LogStore
        var stats: EmulatorStats
        var faults: FaultInjector
        var python: PythonEnvironment
        var sandbox: Sandbox.Tool
        var startupDelay: Duration
        var stateDirectory: URL?
        var workDirectory: URL
        var now: @Sendable () -> Date
        /// How many jobs, tasks and job bytes are stored at most.
        var limits: LocalCloudLimits = .default
        /// What a job's sandbox lets it reach.
        var isolation: JobIsolation = .default
    }

    let deps: Dependencies
    var jobs: [String: JobRecord] = [:]
    var requestIDs: [String: (name: String, at: Date)] = [:]
    var operations: [String: JSONValue] = [:]
    var runners: [String: Task<Void, Never>] = [:]
    /// Jobs being cancelled or deleted: the runner stops and kills what runs.
    var stopping: Set<String> = []
    /// When true this instance no longer writes state (a test abandons it to simulate a crash).
    var detached = false
    var interrupts: [String: Int32] = [:]
    /// Process groups of background runnables by "job#task".
    var backgroundPIDs: [String: Set<Int32>] = [:]
    /// What the stored jobs weigh against `LocalCloudLimits`: tasks of all jobs, and each job's body size.
    var storedTasks = 0
    var jobBytes: [String: Int] = [:]
    var storedJobBytes = 0

    init(_ deps: Dependencies) {
        self.deps = deps
    }

    var now: Date { deps.now() }

    // MARK: Persistence

    private var jobsFolder: URL? { deps.stateDirectory?.appendingPathComponent("batch/jobs") }
    private var operationsFolder: URL? { deps.stateDirectory?.appendingPathComponent("batch/operations") }

    static func fileName(_ name: String) -> String { name.replacingOccurrences(of: "/", with: "~") + ".json" }

    func persist(_ name: String) {
        guard !detached, let folder = jobsFolder else { return }
        let url = folder.appendingPathComponent(Self.fileName(name))
        if let record = jobs[name] {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .secondsSince1970
            if let data = try? encoder.encode(record) { try? AtomicFile.write(data, to: url) }
        } else {
            try? FileManager.default.removeItem(at: url)
        }
    }

    func persistOperation(_ name: String) {
        guard !detached, let folder = operationsFolder, let operation = operations[name] else { return }
        try? AtomicFile.write(operation.encoded(), to: folder.appendingPathComponent(Self.fileName(name)))
    }

    func removePersistedOperation(_ name: String) {
        guard !detached, let folder = operationsFolder else { return }
        try? FileManager.default.removeItem(at: folder.appendingPathComponent(Self.fileName(name)))
    }

    /// Loads persisted jobs and operations and takes over jobs that were running before the restart.
    func restore() {
        guard let folder = jobsFolder else { return }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        for file in (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        where file.pathExtension == "json" {
            guard let data = try? Data(contentsOf: file), let record = try? decoder.decode(JobRecord.self, from: data)
            else {
                continue
            }
            admit(record, bytes: record.job.encoded().count)
            if let requestID = record.requestID { requestIDs[requestID] = (record.name, record.createdAt) }
        }
        if let operationsFolder {
            for file
                in (try? FileManager.default.contentsOfDirectory(at: operationsFolder, includingPropertiesForKeys: nil))
                ?? []
            {
                if let data = try? Data(contentsOf: file), let operation = try? JSONValue.parse(data),
                    let name = operation["name"]?.stringValue
                {
                    operations[name] = operation
                }
            }
        }
        for name in jobs.keys.sorted() where !(jobs[name]?.isTerminal ?? true) {
            resume(name)
        }
    }

    // MARK: jobs.create

    /// `jobs.create`: idempotent by `requestId` for 60 minutes, 409 for an existing `jobId`.
    func create(
        project: String, location: String, jobID: String?, requestID: String?, body: JSONValue, integerEnums: Bool
    )
        async throws(APIError) -> JSONValue
    {
        if let requestID, let seen = requestIDs[requestID], now.timeIntervalSince(seen.at) < 3600,
            let record = jobs[seen.name]
        {
            return record.rendered(now: now, integerEnums: integerEnums)
        }
        let id = jobID ?? Self.generatedJobID()
        try JobSpec.validateJobID(id)
        let parent = "projects/\(project)/locations/\(location)"
        let name = "\(parent)/jobs/\(id)"
        if jobs[name] != nil {
            throw APIError.alreadyExists("Job \(name) already exists.")
        }
        let uid = Self.uid(for: id)
        let created = now
        let job = try JobSpec.normalize(
            body, name: name, uid: uid, project: project, location: location, jobID: id, now: created)
        let taskCount = Int(job["taskGroups"]?.arrayValue?.first?["taskCount"]?.int64Value ?? 1)
        var record = JobRecord(
            job: job, name: name, uid: uid, jobID: id, project: project, location: location, requestID: requestID,
            createdAt: created, updatedAt: created, tasks: (0..<taskCount).map { TaskRecord(index: $0) })
        try checkRoom(tasks: record.tasks.count, bytes: 0)
        record.faults = await deps.faults.jobFaults(jobID: id).map {
            .init(kind: $0.kind.rawValue, afterMilliseconds: FaultPlan.milliseconds($0.after))
        }
        // Re-check after the suspension: another create for the same id may have won.
        if jobs[name] != nil { throw APIError.alreadyExists("Job \(name) already exists.") }
        if let requestID, let seen = requestIDs[requestID], let existing = jobs[seen.name] {
            return existing.rendered(now: now, integerEnums: integerEnums)
        }
        let bytes = job.encoded().count
        try checkRoom(tasks: record.tasks.count, bytes: bytes)
        admit(record, bytes: bytes)
        if let requestID { rememberRequestID(requestID, name: name, at: created) }
        persist(name)
        await deps.stats.countJobCreated()
        start(name)
        return record.rendered(now: now, integerEnums: integerEnums)
    }

    static func generatedJobID() -> String {
        "job-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }

    static func uid(for jobID: String) -> String {
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        return "\(jobID.prefix(50))-\(suffix)"
    }

    /// How many jobs are in each state (for `/_emulator/stats`).
    func stateCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for record in jobs.values { counts[record.state, default: 0] += 1 }
        return counts
    }

    // MARK: jobs.get / list

    func get(_ name: String, integerEnums: Bool) throws(APIError) -> JSONValue {
        guard let record = jobs[name] else { throw APIError.notFound("Job \(name) not found.") }
        return record.rendered(now: now, integerEnums: integerEnums)
    }

    func list(parent: String, filter: String?, orderBy: String?, pageSize: Int?, pageToken: String?, integerEnums: Bool)
        throws(APIError) -> JSONValue
    {
        let expression: FilterExpression?
        do {
            expression = try FilterExpression.parse(filter ?? "")
        } catch {
            throw APIError.invalidArgument(
                "Invalid filter '\(APIError.excerpt(filter ?? ""))': \(error.description)")
        }
        // `locations/-` lists the project's jobs in every location.
        let prefix = parent.hasSuffix("/locations/-") ? String(parent.dropLast(1)) : parent + "/jobs/"
        var matched = jobs.values.filter { $0.name.hasPrefix(prefix) }
        matched = matched.filter { record in
            expression?.matches { field, op, value in Self.compare(record, field, op, value) } ?? true
        }
        switch orderBy?.trimmingCharacters(in: .whitespaces) ?? "" {
        case "name desc": matched.sort { $0.name > $1.name }
        case "create_time": matched.sort { ($0.createdAt, $0.name) < ($1.createdAt, $1.name) }
        case "create_time desc": matched.sort { ($0.createdAt, $0.name) > ($1.createdAt, $1.name) }
        case "", "name": matched.sort { $0.name < $1.name }
        default:
            throw APIError.invalidArgument(
                "Invalid orderBy '\(APIError.excerpt(orderBy ?? ""))': use name, name desc, create_time or create_time desc"
            )
        }
        let size = min(max(pageSize ?? 100, 1), 1000)
        let start = try Self.offset(pageToken)
        var result: [String: JSONValue] = [:]
        if start < matched.count {
            let end = min(matched.count, start + size)
            result["jobs"] = .array(matched[start..<end].map { $0.rendered(now: now, integerEnums: integerEnums) })
            if end < matched.count { result["nextPageToken"] = .string(String(end)) }
        }
        return .object(result)
    }

    static func offset(_ token: String?) throws(APIError) -> Int {
        guard let token, !token.isEmpty else { return 0 }
        guard let value = Int(token), value >= 0 else {
            throw APIError.invalidArgument(
                "Invalid value at 'page_token' (\(APIError.excerpt(token))): pass the nextPageToken of a previous answer"
            )
        }
        return value
    }

    static func compare(_ record: JobRecord, _ field: String, _ op: FilterExpression.Operator, _ value: String) -> Bool
    {
        let actual: String?
        switch field {
        case "status.state", "state": actual = record.state
        case "name": actual = record.name
        case "uid": actual = record.uid
        default:
            if field.hasPrefix("labels.") {
                actual = record.job["labels"]?[String(field.dropFirst(7))]?.stringValue
            } else {
                actual = nil
            }
        }
        guard let actual else { return op == .notEqual }
        switch op {
        case .equal:
            return actual == value || (field.hasSuffix("state") && BatchEnum.jobState.name(.string(value)) == actual)
        case .has: return actual.contains(value)
        case .notEqual: return actual != value
        default: return LogStore.ordered(actual, op, value)
        }
    }

    // MARK: tasks

    private func task(_ jobName: String, _ index: String?) throws(APIError) -> JobRecord {
        guard let record = jobs[jobName] else { throw APIError.notFound("Job \(jobName) not found.") }
        if let index, Int(index).map({ !record.tasks.indices.contains($0) }) ?? true {
            throw APIError.notFound("Task \(jobName)/taskGroups/group0/tasks/\(index) not found.")
        }
        return record
    }

    func getTask(job: String, index: String, integerEnums: Bool) throws(APIError) -> JSONValue {
        try task(job, index).renderedTask(Int(index)!, integerEnums: integerEnums)
    }

    func listTasks(job: String, filter: String?, pageSize: Int?, pageToken: String?, integerEnums: Bool)
        throws(APIError)
        -> JSONValue
    {
        let record = try task(job, nil)
        var indices = Array(record.tasks.indices)
        if let filter, !filter.isEmpty {
            let wanted = filter.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "\"", with: "")
                .replacingOccurrences(of: "State=", with: "").replacingOccurrences(of: "status.state=", with: "")
            indices = indices.filter { record.tasks[$0].state == wanted }
        }
        let size = min(max(pageSize ?? 100, 1), 1000)
        let start = try Self.offset(pageToken)
        var result: [String: JSONValue] = [:]
        if start < indices.count {
            let end = min(indices.count, start + size)
            result["tasks"] = .array(indices[start..<end].map { record.renderedTask($0, integerEnums: integerEnums) })
            if end < indices.count { result["nextPageToken"] = .string(String(end)) }
        }
        return .object(result)
    }
}
