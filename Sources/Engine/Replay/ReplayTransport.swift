import Foundation
import GoogleCloud
import Ledger

/// Answers every Google call of a replayed execution from what its ledger recorded: the jobs' polls, their log
/// lines and outputs, exit codes, uploaded and downloaded objects. Nothing leaves the process.
final class ReplayTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private let state: ExecutionState
    /// Recorded events of each attempt, by "taskRunId#attempt".
    private var polls: [String: [JobPolled]] = [:]
    private var logs: [String: [LogLinesReceived]] = [:]
    private var outputs: [String: [OutputsParsed]] = [:]
    private var uploads: [String: FileUploaded] = [:]
    private var downloads: [String: OutputFileDownloaded] = [:]
    private var created: [String: JobCreated] = [:]
    private var attemptsByJob: [String: AttemptStarted] = [:]
    private var pollCursor: [String: Int] = [:]
    private var logsServed: Set<String> = []
    private var uploadSizes: [String: Int64] = [:]

    /// The metadata and content parts of a multipart upload.
    static func multipart(_ body: Data, contentType: String?) -> (metadata: Data, content: Data)? {
        guard let contentType, let range = contentType.range(of: "boundary=") else { return nil }
        let boundary = Data(
            ("--" + contentType[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "\""))).utf8)
        var parts: [Data] = []
        var cursor = body.startIndex
        while let start = body.range(of: boundary, in: cursor..<body.endIndex) {
            if !parts.isEmpty || cursor != body.startIndex {
                parts.append(body[cursor..<start.lowerBound])
            }
            cursor = start.upperBound
        }
        let bodies = parts.compactMap { part -> Data? in
            guard let split = part.range(of: Data("\r\n\r\n".utf8)) else { return nil }
            var content = part[split.upperBound...]
            if content.suffix(2) == Data("\r\n".utf8) { content = content.dropLast(2) }
            return Data(content)
        }
        guard bodies.count >= 2 else { return nil }
        return (bodies[0], bodies[1])
    }

    init(events: [ExecutionEvent], state: ExecutionState) {
        self.state = state
        for event in events {
            switch event {
            case .attemptStarted(let e): attemptsByJob[e.jobId] = e
            case .jobPolled(let e): polls["\(e.taskRunId)#\(e.attempt)", default: []].append(e)
            case .logLinesReceived(let e): logs["\(e.taskRunId)#\(e.attempt)", default: []].append(e)
            case .outputsParsed(let e): outputs["\(e.taskRunId)#\(e.attempt)", default: []].append(e)
            case .fileUploaded(let e): uploads[e.object] = e
            case .outputFileDownloaded(let e): downloads[e.object] = e
            case .jobCreated(let e): created["\(e.taskRunId)#\(e.attempt)"] = e
            default: break
            }
        }
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock { answer(request) }
    }

    func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse {
        let response = lock.withLock { answer(request) }
        guard response.status == 200 else { return response }
        try response.body.write(to: file)
        return HTTPResponse(status: 200, headers: response.headers)
    }

    private func json(_ object: Any, status: Int = 200, headers: [String: String] = [:]) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return HTTPResponse(
            status: status, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a }, body: data)
    }

    private func notRecorded(_ request: HTTPRequest) -> HTTPResponse {
        json(
            [
                "error": [
                    "code": 404,
                    "message": "the recorded execution has no answer for \(request.method) \(request.url.path)",
                    "status": "NOT_FOUND",
                ]
            ], status: 404)
    }

    private func answer(_ request: HTTPRequest) -> HTTPResponse {
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)!
        let path = components.percentEncodedPath
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { a, _ in a }
        if path.hasSuffix("/token") {
            return json(["access_token": "replay", "expires_in": 3600, "token_type": "Bearer"])
        }
        if path.hasPrefix("/v1/") { return batch(request, path: path, query: query) }
        if path == "/v2/entries:list" { return entries(request) }
        if path.contains("/storage/v1/b/") { return storage(request, path: path, query: query) }
        return notRecorded(request)
    }

    // MARK: Batch

    private func jobObject(_ name: String, attempt: AttemptStarted, poll: JobPolled?, events: [JobStatusChange])
        -> [String: Any]
    {
        let key = "\(attempt.taskRunId)#\(attempt.attempt)"
        return [
            "name": name, "uid": created[key]?.uid ?? "replay-\(attempt.jobId)",
            "status": [
                "state": poll?.state ?? "QUEUED",
                "statusEvents": events.map { change -> [String: Any] in
                    var object: [String: Any] = ["type": change.type ?? "", "description": change.description ?? ""]
                    if let time = change.time { object["eventTime"] = time }
                    if let code = change.exitCode { object["taskExecution"] = ["exitCode": code] }
                    return object
                },
            ],
        ]
    }

    private func batch(_ request: HTTPRequest, path: String, query: [String: String]) -> HTTPResponse {
        let parts = path.split(separator: "/").map(String.init)
        if path.contains("/operations/") {
            return json(["name": String(path.dropFirst(4)), "done": true, "response": [:]])
        }
        if request.method == "POST", path.hasSuffix("/jobs"), let id = query["jobId"] {
            guard let attempt = attemptsByJob[id] else { return notRecorded(request) }
            return json(jobObject(String(path.dropFirst(4)) + "/\(id)", attempt: attempt, poll: nil, events: []))
        }
        if let jobsIndex = parts.firstIndex(of: "jobs"), jobsIndex + 1 < parts.count {
            let id = parts[jobsIndex + 1]
            let name = parts[1...(jobsIndex + 1)].joined(separator: "/")
            guard let attempt = attemptsByJob[id] else { return notRecorded(request) }
            let key = "\(attempt.taskRunId)#\(attempt.attempt)"
            if parts.contains("tasks") {
                let code = state.taskRun(attempt.taskRunId)?.attempts.first { $0.attempt == attempt.attempt }?.exitCode
                var status: [String: Any] = ["state": "SUCCEEDED"]
                if let code {
                    status["statusEvents"] = [["type": "STATUS_CHANGED", "taskExecution": ["exitCode": code]]]
                }
                return json(["tasks": [["name": "\(name)/taskGroups/group0/tasks/0", "status": status]]])
            }
            if request.method == "DELETE" {
                return json(["name": "\(parts[1...4].joined(separator: "/"))/operations/replay-\(id)", "done": true])
            }
            let recorded = polls[key] ?? []
            let index = min(pollCursor[key, default: 0], max(0, recorded.count - 1))
            pollCursor[key] = index + 1
            let poll = recorded.isEmpty ? nil : recorded[index]
            let events = recorded.prefix(index + 1).flatMap(\.newStatusEvents)
            return json(jobObject(name, attempt: attempt, poll: poll, events: events))
        }
        if request.method == "GET", path.hasSuffix("/jobs") {
            var jobs: [[String: Any]] = []
            for (id, attempt) in attemptsByJob {
                let key = "\(attempt.taskRunId)#\(attempt.attempt)"
                let recorded = polls[key] ?? []
                let index = min(pollCursor[key, default: 0], max(0, recorded.count - 1))
                pollCursor[key] = index + 1
                jobs.append(
                    jobObject(
                        String(path.dropFirst(4)) + "/\(id)", attempt: attempt,
                        poll: recorded.isEmpty ? nil : recorded[index],
                        events: recorded.prefix(index + 1).flatMap(\.newStatusEvents)))
            }
            return json(["jobs": jobs])
        }
        return notRecorded(request)
    }

    // MARK: Logging

    private func entries(_ request: HTTPRequest) -> HTTPResponse {
        guard case .data(let body) = request.body,
            let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let filter = object["filter"] as? String
        else { return notRecorded(request) }
        var entries: [[String: Any]] = []
        var sequence = 0
        for (key, created) in created where filter.contains("\"\(created.uid)\"") && !logsServed.contains(key) {
            logsServed.insert(key)
            for batch in logs[key] ?? [] {
                for line in batch.lines {
                    sequence += 1
                    entries.append([
                        "timestamp": line.time, "insertId": String(format: "%016d", sequence),
                        "severity": line.stderr ? "ERROR" : "INFO", "textPayload": line.text,
                        "labels": ["job_uid": created.uid],
                    ])
                }
            }
            for parsed in outputs[key] ?? [] where !parsed.vars.isEmpty || !parsed.metrics.isEmpty {
                sequence += 1
                var message: [String: Any] = [:]
                if !parsed.vars.isEmpty,
                    let vars = try? JSONSerialization.jsonObject(with: CanonicalJSON.encode(parsed.vars))
                {
                    message["outputs"] = vars
                }
                if !parsed.metrics.isEmpty,
                    let metrics = try? JSONSerialization.jsonObject(with: CanonicalJSON.encode(parsed.metrics))
                {
                    message["metrics"] = metrics
                }
                let text =
                    (try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys]))
                    .map { "::" + String(decoding: $0, as: UTF8.self) + "::" } ?? ""
                entries.append([
                    "timestamp": (logs[key]?.last?.cursorTime) ?? "2000-01-01T00:00:00Z",
                    "insertId": String(format: "%016d", sequence), "severity": "INFO", "textPayload": text,
                    "labels": ["job_uid": created.uid],
                ])
            }
        }
        return json(["entries": entries])
    }

    // MARK: Storage

    private func storage(_ request: HTTPRequest, path: String, query: [String: String]) -> HTTPResponse {
        let parts = path.split(separator: "/").map(String.init)
        guard let bIndex = parts.firstIndex(of: "b"), bIndex + 1 < parts.count else { return notRecorded(request) }
        let bucket = parts[bIndex + 1].removingPercentEncoding ?? parts[bIndex + 1]
        let objectName = parts.count > bIndex + 3 ? parts[bIndex + 3].removingPercentEncoding : nil
        if path.hasPrefix("/upload/") {
            if query["uploadType"] == "resumable" && request.method == "POST" {
                guard case .data(let body) = request.body,
                    let metadata = try? JSONSerialization.jsonObject(with: body) as? [String: String],
                    let name = metadata["name"]
                else { return notRecorded(request) }
                uploadSizes[name] = Int64(request.header("X-Upload-Content-Length") ?? "") ?? 0
                let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
                return HTTPResponse(
                    status: 200,
                    headers: ["Location": "http://replay/upload/storage/v1/b/\(bucket)/o?upload_id=\(encoded)"])
            }
            let name: String
            let size: Int64
            if let id = query["upload_id"] {
                name = id
                size = uploadSizes[id] ?? 0
            } else if case .data(let body) = request.body,
                let parts = Self.multipart(body, contentType: request.header("Content-Type")),
                let metadata = try? JSONSerialization.jsonObject(with: parts.metadata) as? [String: String],
                let objectName = metadata["name"]
            {
                name = objectName
                size = Int64(parts.content.count)
            } else {
                return notRecorded(request)
            }
            // The history says the object was stored; its content here is whatever the replay staged (output files
            // of earlier tasks may be absent on this machine), so no checksum is claimed.
            let generation = uploads[name]?.generation ?? 1
            return json(["name": name, "bucket": bucket, "generation": String(generation), "size": String(size)])
        }
        if path.hasPrefix("/download/"), let name = objectName {
            guard let downloaded = downloads[name] else { return notRecorded(request) }
            guard let data = FileManager.default.contents(atPath: downloaded.localPath) else {
                // The file is not on this machine (an imported history): an empty stand-in, honestly hashed.
                return HTTPResponse(
                    status: 200, headers: ["x-goog-hash": "crc32c=AAAAAA==,md5=1B2M2Y8AsgTpgAmY7PhCfg=="])
            }
            return HTTPResponse(status: 200, headers: ["x-goog-hash": "crc32c=\(downloaded.crc32c)"], body: data)
        }
        if let name = objectName {
            if request.method == "DELETE" { return HTTPResponse(status: 204) }
            if let uploaded = uploads[name] {
                return json([
                    "name": name, "bucket": bucket, "generation": String(uploaded.generation),
                    "size": String(uploaded.size), "crc32c": uploaded.crc32c,
                ])
            }
            return notRecorded(request)
        }
        // A listing: what the attempt's folder held when it was collected.
        let prefix = query["prefix"] ?? ""
        var items: [[String: Any]] = []
        for (name, file) in downloads where name.hasPrefix(prefix) {
            items.append([
                "name": name, "bucket": bucket, "size": String(file.size), "crc32c": file.crc32c, "generation": "1",
            ])
        }
        for (name, file) in uploads where name.hasPrefix(prefix) && downloads[name] == nil {
            items.append([
                "name": name, "bucket": bucket, "size": String(file.size), "crc32c": file.crc32c, "generation": "1",
            ])
        }
        return json(["items": items.sorted { ($0["name"] as! String) < ($1["name"] as! String) }])
    }
}
