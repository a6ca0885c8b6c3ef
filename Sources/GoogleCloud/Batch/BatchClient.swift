import Foundation

/// Where jobs live: `projects/P/locations/L`.
public struct BatchLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var project: String
    public var region: String

    public init(project: String, region: String) {
        self.project = project
        self.region = region
    }

    public var description: String { "projects/\(project)/locations/\(region)" }

    public func jobName(_ jobID: String) -> String { "\(self)/jobs/\(jobID)" }
}

/// Cloud Batch v1.
public struct BatchClient: Sendable {
    static let service = "Batch"
    public let caller: APICaller
    public let endpoint: URL

    public init(caller: APICaller, endpoint: URL) {
        self.caller = caller
        self.endpoint = endpoint
    }

    /// What `createJob` did.
    public enum Creation: Sendable, Equatable {
        case created(BatchJob)
        /// A job with this id existed already (an earlier attempt of the same call): it is returned as it is now.
        case adopted(BatchJob)

        public var job: BatchJob {
            switch self {
            case .created(let job), .adopted(let job): return job
            }
        }
    }

    /// Creates a job with a deterministic `jobID` and an idempotency `requestID`. Retried on transient failures
    /// (both ids make that safe); `409 ALREADY_EXISTS` is answered by fetching and adopting the existing job.
    public func createJob(_ job: BatchJob, in location: BatchLocation, jobID: String, requestID: String)
        async throws -> Creation
    {
        let resource = "\(location)/jobs?jobId=\(jobID)"
        let url = URLBuilder.url(
            endpoint, path: "/v1/\(location)/jobs", query: [("jobId", jobID), ("requestId", requestID)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let request = HTTPRequest(
            method: "POST", url: url, headers: ["Content-Type": "application/json"],
            body: .data(try encoder.encode(job)))
        let response = try await caller.send(
            request, service: Self.service, method: "jobs.create", resource: resource, idempotent: true, accept: [409])
        if response.status == 409 {
            guard let existing = try await getJob(location.jobName(jobID)) else {
                throw GoogleAPIError.parse(response, service: Self.service, method: "jobs.create", resource: resource)
            }
            return .adopted(existing)
        }
        return .created(
            try APICaller.decode(
                BatchJob.self, from: response, service: Self.service, method: "jobs.create",
                resource: resource))
    }

    /// The job, or nil when Batch does not know it (never created, deleted, or expired after 60 days).
    public func getJob(_ name: String) async throws -> BatchJob? {
        let response = try await caller.send(
            HTTPRequest(method: "GET", url: URLBuilder.url(endpoint, path: "/v1/\(name)")), service: Self.service,
            method: "jobs.get", resource: name, idempotent: true, accept: [404])
        if response.status == 404 { return nil }
        return try APICaller.decode(
            BatchJob.self, from: response, service: Self.service, method: "jobs.get", resource: name)
    }

    /// One page of `jobs.list`.
    public struct JobPage: Sendable, Equatable, Decodable {
        public var jobs: [BatchJob]
        public var nextPageToken: String?

        enum CodingKeys: String, CodingKey { case jobs, nextPageToken }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            jobs = try container.decodeIfPresent([BatchJob].self, forKey: .jobs) ?? []
            nextPageToken = try container.decodeIfPresent(String.self, forKey: .nextPageToken).flatMap {
                $0.isEmpty ? nil : $0
            }
        }
    }

    /// Lists jobs, e.g. with `labels.batchledger="true"` (AIP-160 filter), one page at a time.
    public func listJobs(
        in location: BatchLocation, filter: String? = nil, pageSize: Int? = nil, pageToken: String? = nil
    )
        async throws -> JobPage
    {
        let url = URLBuilder.url(
            endpoint, path: "/v1/\(location)/jobs",
            query: [("filter", filter), ("pageSize", pageSize.map(String.init)), ("pageToken", pageToken)])
        let resource = "\(location)/jobs" + (filter.map { "?filter=\($0)" } ?? "")
        let response = try await caller.send(
            HTTPRequest(method: "GET", url: url), service: Self.service, method: "jobs.list", resource: resource,
            idempotent: true)
        return try APICaller.decode(
            JobPage.self, from: response, service: Self.service, method: "jobs.list", resource: resource)
    }

    /// Every job the filter selects, following page tokens.
    public func listAllJobs(in location: BatchLocation, filter: String? = nil, pageSize: Int = 200) async throws
        -> [BatchJob]
    {
        var jobs: [BatchJob] = []
        var token: String?
        repeat {
            let page = try await listJobs(in: location, filter: filter, pageSize: pageSize, pageToken: token)
            jobs += page.jobs
            token = page.nextPageToken
        } while token != nil
        return jobs
    }

    /// Starts deleting the job; nil when it was already gone (404 counts as done).
    public func deleteJob(_ name: String, requestID: String, reason: String? = nil) async throws -> Operation? {
        let url = URLBuilder.url(endpoint, path: "/v1/\(name)", query: [("requestId", requestID), ("reason", reason)])
        let response = try await caller.send(
            HTTPRequest(method: "DELETE", url: url), service: Self.service, method: "jobs.delete", resource: name,
            idempotent: true, accept: [404])
        if response.status == 404 { return nil }
        return try APICaller.decode(
            Operation.self, from: response, service: Self.service, method: "jobs.delete", resource: name)
    }

    /// Asks Batch to cancel the job (its tasks are stopped; the job ends CANCELLED).
    public func cancelJob(_ name: String, requestID: String) async throws -> Operation? {
        let url = URLBuilder.url(endpoint, path: "/v1/\(name):cancel")
        let body = try JSONSerialization.data(withJSONObject: ["requestId": requestID])
        let response = try await caller.send(
            HTTPRequest(method: "POST", url: url, headers: ["Content-Type": "application/json"], body: .data(body)),
            service: Self.service, method: "jobs.cancel", resource: name, idempotent: true, accept: [404])
        if response.status == 404 { return nil }
        return try APICaller.decode(
            Operation.self, from: response, service: Self.service, method: "jobs.cancel", resource: name)
    }

    /// Polls an operation until it is done, or until `deadline`.
    public func waitForOperation(
        _ operation: Operation, every interval: Duration = .seconds(1), deadline: Duration = .seconds(120)
    )
        async throws -> Operation
    {
        var current = operation
        let clock = caller.clock
        let started = clock.now
        while !current.done {
            guard started.duration(to: clock.now) < deadline else {
                throw GoogleAPIError(
                    service: Self.service, method: "operations.get", resource: operation.name, httpStatus: 504,
                    status: "DEADLINE_EXCEEDED", message: "the operation was not done after \(deadline)")
            }
            try await clock.sleep(for: interval)
            let response = try await caller.send(
                HTTPRequest(method: "GET", url: URLBuilder.url(endpoint, path: "/v1/\(operation.name)")),
                service: Self.service, method: "operations.get", resource: operation.name, idempotent: true)
            current = try APICaller.decode(
                Operation.self, from: response, service: Self.service, method: "operations.get",
                resource: operation.name)
        }
        if let error = current.error {
            throw GoogleAPIError(
                service: Self.service, method: "operations.get", resource: operation.name, httpStatus: 500,
                status: nil, message: error.message ?? "the operation failed with code \(error.code ?? 0)")
        }
        return current
    }

    /// The tasks of the job's only task group.
    public func listTasks(ofJob jobName: String) async throws -> [BatchTask] {
        struct Page: Decodable {
            var tasks: [BatchTask]?
            var nextPageToken: String?
        }
        var tasks: [BatchTask] = []
        var token: String?
        let parent = "\(jobName)/taskGroups/group0"
        repeat {
            let url = URLBuilder.url(endpoint, path: "/v1/\(parent)/tasks", query: [("pageToken", token)])
            let response = try await caller.send(
                HTTPRequest(method: "GET", url: url), service: Self.service, method: "tasks.list", resource: parent,
                idempotent: true)
            let page = try APICaller.decode(
                Page.self, from: response, service: Self.service, method: "tasks.list", resource: parent)
            tasks += page.tasks ?? []
            token = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return tasks
    }

    /// One task, or nil when it does not exist.
    public func getTask(_ name: String) async throws -> BatchTask? {
        let response = try await caller.send(
            HTTPRequest(method: "GET", url: URLBuilder.url(endpoint, path: "/v1/\(name)")), service: Self.service,
            method: "tasks.get", resource: name, idempotent: true, accept: [404])
        if response.status == 404 { return nil }
        return try APICaller.decode(
            BatchTask.self, from: response, service: Self.service, method: "tasks.get", resource: name)
    }
}

/// Batch's job-id rule: 1–63 characters, a lowercase letter first, then lowercase letters, digits and `-`, not
/// ending with `-`.
public enum BatchJobID {
    public static func isValid(_ id: String) -> Bool {
        guard (1...63).contains(id.utf8.count), let first = id.utf8.first, (97...122).contains(first),
            id.utf8.last != UInt8(ascii: "-")
        else { return false }
        return id.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "-") }
    }
}
