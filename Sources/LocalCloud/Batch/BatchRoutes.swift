import Foundation
import Hummingbird

/// The Batch v1 routes under `/v1/projects/{p}/locations/{l}/...`.
struct BatchRoutes: Sendable {
    let service: BatchService

    /// A parsed Batch path.
    enum Route: Sendable {
        case jobs(project: String, location: String)
        case job(name: String)
        case cancel(name: String)
        case tasks(job: String)
        case task(job: String, index: String)
        case operation(name: String)
    }

    static func route(_ request: IncomingRequest) -> Route? {
        let s = request.segments
        guard s.count >= 6, s[0] == "v1", s[1] == "projects", s[3] == "locations" else { return nil }
        let parent = "projects/\(s[2])/locations/\(s[4])"
        let rest = Array(s[5...])
        switch rest.count {
        case 1 where rest[0] == "jobs": return .jobs(project: s[2], location: s[4])
        case 2 where rest[0] == "jobs":
            if rest[1].hasSuffix(":cancel") { return .cancel(name: "\(parent)/jobs/\(rest[1].dropLast(7))") }
            return .job(name: "\(parent)/jobs/\(rest[1])")
        case 2 where rest[0] == "operations": return .operation(name: "\(parent)/operations/\(rest[1])")
        case 4 where rest[0] == "jobs" && rest[2] == "operations":
            return .operation(name: "\(parent)/jobs/\(rest[1])/operations/\(rest[3])")
        case 5 where rest[0] == "jobs" && rest[2] == "taskGroups" && rest[4] == "tasks":
            return .tasks(job: "\(parent)/jobs/\(rest[1])")
        case 6 where rest[0] == "jobs" && rest[2] == "taskGroups" && rest[4] == "tasks":
            return .task(job: "\(parent)/jobs/\(rest[1])", index: rest[5])
        default: return nil
        }
    }

    static func methodName(_ request: IncomingRequest) -> String? {
        guard let route = route(request) else {
            return request.segments.first == "v1" && request.segments.dropFirst().first == "projects"
                ? "batch.unknown" : nil
        }
        switch (route, request.method) {
        case (.jobs, "POST"): return "jobs.create"
        case (.jobs, _): return "jobs.list"
        case (.job, "DELETE"): return "jobs.delete"
        case (.job, _): return "jobs.get"
        case (.cancel, _): return "jobs.cancel"
        case (.tasks, _): return "tasks.list"
        case (.task, _): return "tasks.get"
        case (.operation, _): return "operations.get"
        }
    }

    /// `pageSize` of a list call: absent or 0 for the default, up to 1000 (larger sizes are cut to 1000, as Batch
    /// does); a 400 naming the field when it is negative or not a number.
    static func pageSize(_ query: Query) throws(APIError) -> Int? {
        guard let text = query["pageSize"], !text.isEmpty else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw APIError.invalidArgument(
                "Invalid value at 'page_size' (\(APIError.excerpt(text))): expected a whole number from 0 to 1000")
        }
        return value == 0 ? nil : Int(min(value, 1000))
    }

    /// `filter` of a list call, refused before it is parsed when it is too long or too deep (`FilterGuard`).
    static func filter(_ query: Query) throws(APIError) -> String? {
        guard let text = query["filter"] else { return nil }
        try FilterGuard.check(text)
        return text
    }

    func handle(_ request: IncomingRequest) async throws(APIError) -> Response {
        let q = request.query
        let ints = q.wantsIntegerEnums
        guard let route = Self.route(request) else {
            throw APIError.notFound("LocalCloud Batch has no resource at \(request.rawPath)")
        }
        switch (route, request.method) {
        case (.jobs(let project, let location), "POST"):
            let body = try request.jsonBody()
            return Reply.json(
                try await service.create(
                    project: project, location: location, jobID: q["jobId"], requestID: q["requestId"], body: body,
                    integerEnums: ints))
        case (.jobs(let project, let location), "GET"):
            return Reply.json(
                try await service.list(
                    parent: "projects/\(project)/locations/\(location)", filter: try Self.filter(q),
                    orderBy: q["orderBy"], pageSize: try Self.pageSize(q), pageToken: q["pageToken"],
                    integerEnums: ints))
        case (.job(let name), "GET"):
            return Reply.json(try await service.get(name, integerEnums: ints))
        case (.job(let name), "DELETE"):
            return Reply.json(try await service.delete(name, requestID: q["requestId"]))
        case (.cancel(let name), "POST"):
            return Reply.json(try await service.cancel(name))
        case (.tasks(let job), "GET"):
            return Reply.json(
                try await service.listTasks(
                    job: job, filter: try Self.filter(q), pageSize: try Self.pageSize(q), pageToken: q["pageToken"],
                    integerEnums: ints))
        case (.task(let job, let index), "GET"):
            return Reply.json(try await service.getTask(job: job, index: index, integerEnums: ints))
        case (.operation(let name), "GET"):
            return Reply.json(try await service.getOperation(name))
        default:
            throw APIError(
                httpStatus: 405, status: "UNIMPLEMENTED",
                message: "\(request.method) is not allowed on \(request.rawPath)", reason: "methodNotAllowed")
        }
    }
}
