import Clocks
import Foundation

/// Cloud Logging v2 `entries:list`.
public struct LoggingClient: Sendable {
    static let service = "Cloud Logging"
    public let caller: APICaller
    public let endpoint: URL

    public init(caller: APICaller, endpoint: URL) {
        self.caller = caller
        self.endpoint = endpoint
    }

    /// One page of entries. A page may be empty and still carry a token: the search is not finished.
    public struct Page: Sendable, Equatable, Decodable {
        public var entries: [LogEntry]
        public var nextPageToken: String?

        enum CodingKeys: String, CodingKey { case entries, nextPageToken }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            entries = try container.decodeIfPresent([LogEntry].self, forKey: .entries) ?? []
            nextPageToken = try container.decodeIfPresent(String.self, forKey: .nextPageToken).flatMap {
                $0.isEmpty ? nil : $0
            }
        }
    }

    public func list(
        resourceNames: [String], filter: String, orderBy: String = "timestamp asc", pageSize: Int = 1000,
        pageToken: String? = nil
    ) async throws -> Page {
        var body: [String: Any] = [
            "resourceNames": resourceNames, "filter": filter, "orderBy": orderBy, "pageSize": pageSize,
        ]
        if let pageToken { body["pageToken"] = pageToken }
        let request = HTTPRequest(
            method: "POST", url: URLBuilder.url(endpoint, path: "/v2/entries:list"),
            headers: ["Content-Type": "application/json"],
            body: .data(
                try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])))
        let resource = resourceNames.joined(separator: ",")
        let response = try await caller.send(
            request, service: Self.service, method: "entries.list", resource: resource, idempotent: true)
        return try APICaller.decode(
            Page.self, from: response, service: Self.service, method: "entries.list", resource: resource)
    }
}

/// Reads the task logs of many Batch jobs of one project with one query: an OR of their job uids, from the
/// earliest cursor, paged; each job's entries are delivered once, in order, after its own cursor.
public struct BatchLogReader: Sendable {
    public let client: LoggingClient
    public let project: String
    public let budget: RequestBudget
    public var pageSize = 1000

    public init(client: LoggingClient, project: String, budget: RequestBudget) {
        self.client = client
        self.project = project
        self.budget = budget
    }

    /// The filter for these jobs' task logs after `since` (inclusive: entries at the same time with a greater
    /// insertId must not be lost; `read` drops what was already delivered).
    public func filter(jobUIDs: [String], since: LogTimestamp?) -> String {
        let uids = jobUIDs.sorted().map { "labels.job_uid=\"\($0)\"" }
        var clauses = ["logName=\"projects/\(project)/logs/batch_task_logs\""]
        clauses.append(uids.count == 1 ? uids[0] : "(\(uids.joined(separator: " OR ")))")
        if let since, since != .distantPast { clauses.append("timestamp>=\"\(since)\"") }
        return clauses.joined(separator: " AND ")
    }

    /// Cloud Logging refuses filters longer than 20,000 characters: many jobs are read in groups that fit.
    public static let maxFilterLength = 19_000

    /// New entries per job uid since each job's cursor, with the cursors advanced past them. One query per
    /// group of jobs whose filter fits Cloud Logging's limit (one query for up to a few hundred jobs).
    public func read(_ cursors: [String: LogCursor]) async throws -> (
        entries: [String: [LogEntry]], cursors: [String: LogCursor]
    ) {
        guard !cursors.isEmpty else { return ([:], cursors) }
        var groups: [[String]] = [[]]
        var length = 0
        for uid in cursors.keys.sorted() {
            let clause = uid.utf8.count + 32
            if length + clause > Self.maxFilterLength - 200, !groups[groups.count - 1].isEmpty {
                groups.append([])
                length = 0
            }
            groups[groups.count - 1].append(uid)
            length += clause
        }
        var result: [String: [LogEntry]] = [:]
        var advanced = cursors
        for group in groups {
            let since = group.compactMap { cursors[$0]?.timestamp }.min()
            let query = filter(jobUIDs: group, since: since)
            var token: String?
            repeat {
                try await budget.acquire()
                let page = try await client.list(
                    resourceNames: ["projects/\(project)"], filter: query, pageSize: pageSize, pageToken: token)
                for entry in page.entries {
                    guard let uid = entry.labels["job_uid"], let cursor = advanced[uid] else { continue }
                    let position = entry.position
                    guard cursor < position else { continue }
                    result[uid, default: []].append(entry)
                    advanced[uid] = position
                }
                token = page.nextPageToken
            } while token != nil
        }
        return (result, advanced)
    }
}
