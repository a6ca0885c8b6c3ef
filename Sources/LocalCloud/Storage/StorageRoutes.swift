import Foundation
import Hummingbird

/// The Cloud Storage JSON API v1 routes: `/storage/v1/...`, `/upload/storage/v1/...`, `/download/storage/v1/...`.
struct StorageRoutes: Sendable {
    let service: StorageService

    /// The method name (for stats and faults) of a Storage request, or nil when the path is not Storage's.
    /// Path segments with an object name that was sent with raw `/` folded back into one segment
    /// (Google encodes `/` as `%2F`; some tools do not).
    static func segments(_ request: IncomingRequest) -> [String] {
        var s = request.segments
        let base = s.first == "download" ? 1 : 0
        if s.count > base + 6, s[base + 4] == "o", s[base] == "storage" {
            s = Array(s[..<(base + 5)]) + [s[(base + 5)...].joined(separator: "/")]
        }
        return s
    }

    static func methodName(_ request: IncomingRequest) -> String? {
        let s = segments(request)
        if s.starts(with: ["storage", "v1", "b"]) {
            switch (request.method, s.count) {
            case ("POST", 3): return "buckets.insert"
            case ("GET", 3): return "buckets.list"
            case ("GET", 4): return "buckets.get"
            case ("GET", 5): return "objects.list"
            case ("GET", 6): return request.query["alt"] == "media" ? "objects.download" : "objects.get"
            case ("DELETE", 6): return "objects.delete"
            default: return "storage.unknown"
            }
        }
        if s.starts(with: ["download", "storage", "v1", "b"]) { return "objects.download" }
        if s.starts(with: ["upload", "storage", "v1", "b"])
            || s.starts(with: ["resumable", "upload", "storage", "v1", "b"])
        {
            return request.query["upload_id"] != nil ? "objects.upload" : "objects.insert"
        }
        return nil
    }

    func handle(_ request: IncomingRequest) async throws(APIError) -> Response {
        var s = Self.segments(request)
        if s.first == "resumable" { s.removeFirst() }
        if s.first == "upload" { return try await upload(request, bucket: s.count >= 5 ? s[4] : "") }
        let download = s.first == "download"
        if download { s.removeFirst() }
        guard s.count >= 3 else { throw APIError.notFound("Not Found", shape: .storage) }
        switch (request.method, s.count) {
        case ("POST", 3):
            let body = try request.jsonBody(shape: .storage)
            guard let name = body["name"]?.stringValue else {
                throw APIError.invalidArgument("Bucket name is required (body field 'name').", shape: .storage)
            }
            return Reply.json(try await service.createBucket(name))
        case ("GET", 3):
            return Reply.json(await service.listBuckets())
        case ("GET", 4):
            return Reply.json(try await service.getBucket(s[3]))
        case ("GET", 5) where s[4] == "o":
            let q = request.query
            let maxResults = min(max(q["maxResults"].flatMap { Int($0) } ?? 1000, 1), 1000)
            return Reply.json(
                try await service.list(
                    bucket: s[3], prefix: q["prefix"] ?? "", delimiter: q["delimiter"], maxResults: maxResults,
                    pageToken: q["pageToken"], startOffset: q["startOffset"], endOffset: q["endOffset"],
                    baseURL: request.baseURL))
        case ("GET", 6) where s[4] == "o":
            let generation = request.query["generation"].flatMap { Int64($0) }
            let preconditions = StorageService.Preconditions(request.query)
            if download || request.query["alt"] == "media" {
                return try await media(
                    request, bucket: s[3], name: s[5], generation: generation, preconditions: preconditions)
            }
            let object = try await service.get(
                bucket: s[3], name: s[5], generation: generation, preconditions: preconditions)
            return Reply.json(object.json(baseURL: request.baseURL))
        case ("DELETE", 6) where s[4] == "o":
            try await service.delete(
                bucket: s[3], name: s[5], generation: request.query["generation"].flatMap { Int64($0) },
                preconditions: StorageService.Preconditions(request.query))
            return Reply.empty(status: 204)
        default:
            throw APIError(
                httpStatus: 501, status: "UNIMPLEMENTED",
                message: "LocalCloud does not implement \(request.method) \(request.rawPath)", reason: "notImplemented",
                shape: .storage)
        }
    }

    private func media(
        _ request: IncomingRequest, bucket: String, name: String, generation: Int64?,
        preconditions: StorageService.Preconditions
    ) async throws(APIError) -> Response {
        let object = try await service.get(
            bucket: bucket, name: name, generation: generation, preconditions: preconditions)
        let range = try ByteRanges.range(request.header("range"), size: object.size)
        let (current, bytes) = try await service.open(
            bucket: bucket, name: name, generation: object.generation, preconditions: .init(Query(nil)), range: range)
        var headers = [
            ("Content-Type", current.contentType), ("x-goog-hash", "crc32c=\(current.crc32c),md5=\(current.md5Hash)"),
            ("x-goog-generation", String(current.generation)),
            ("x-goog-metageneration", String(current.metageneration)),
            ("x-goog-stored-content-length", String(current.size)), ("ETag", current.etag),
            ("Accept-Ranges", "bytes"),
        ]
        if let range {
            headers.append(("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound)/\(current.size)"))
            return Reply.stream(bytes, status: 206, headers: headers)
        }
        return Reply.stream(bytes, headers: headers)
    }

    /// `x-goog-hash: crc32c=…,md5=…` (one header or several).
    static func parseHashHeader(_ value: String?) -> (crc32c: String?, md5: String?) {
        guard let value else { return (nil, nil) }
        var crc: String?
        var md5: String?
        for part in value.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("crc32c=") { crc = String(trimmed.dropFirst(7)) }
            if trimmed.hasPrefix("md5=") { md5 = String(trimmed.dropFirst(4)) }
        }
        return (crc, md5)
    }

    private static func stringMap(_ value: JSONValue?) -> [String: String]? {
        value?.objectValue?.compactMapValues { $0.stringValue }
    }

    private func upload(_ request: IncomingRequest, bucket: String) async throws(APIError) -> Response {
        let q = request.query
        if let id = q["upload_id"] { return try await resumableChunk(request, id: id) }
        let preconditions = StorageService.Preconditions(q)
        let hashHeader = Self.parseHashHeader(request.header("x-goog-hash"))
        guard request.method == "POST" else {
            throw APIError.invalidArgument(
                "Uploads start with POST; \(request.method) needs an upload_id", shape: .storage)
        }
        switch q["uploadType"] ?? "media" {
        case "media":
            guard let name = q["name"] else {
                throw APIError.invalidArgument("Object name is required (query parameter 'name').", shape: .storage)
            }
            let object = try await service.insert(
                bucket: bucket, name: name, contents: request.bodyFile == nil ? request.body : nil,
                file: request.bodyFile?.url, contentType: request.header("content-type"),
                metadata: nil, preconditions: preconditions, expectedCRC32C: hashHeader.crc32c,
                expectedMD5: hashHeader.md5)
            return Reply.json(object.json(baseURL: request.baseURL))
        case "multipart":
            let parts = try Multipart.parse(body: request.body, contentType: request.header("content-type") ?? "")
            guard parts.count >= 2 else {
                throw APIError.invalidArgument(
                    "A multipart upload needs a metadata part and a media part.", shape: .storage)
            }
            let metadata: JSONValue
            do { metadata = try JSONValue.parse(parts[0].body) } catch {
                throw APIError.invalidArgument("The multipart metadata part is not JSON.", shape: .storage)
            }
            guard let name = metadata["name"]?.stringValue ?? q["name"] else {
                throw APIError.invalidArgument("Object name is required (metadata field 'name').", shape: .storage)
            }
            let object = try await service.insert(
                bucket: bucket, name: name, contents: parts[1].body, file: nil,
                contentType: metadata["contentType"]?.stringValue ?? parts[1].contentType,
                metadata: Self.stringMap(metadata["metadata"]), preconditions: preconditions,
                expectedCRC32C: metadata["crc32c"]?.stringValue ?? hashHeader.crc32c,
                expectedMD5: metadata["md5Hash"]?.stringValue ?? hashHeader.md5)
            return Reply.json(object.json(baseURL: request.baseURL))
        case "resumable":
            let metadata = try request.jsonBody(shape: .storage)
            guard let name = metadata["name"]?.stringValue ?? q["name"] else {
                throw APIError.invalidArgument("Object name is required (metadata field 'name').", shape: .storage)
            }
            let id = UUID().uuidString.lowercased()
            let session = UploadSession(
                id: id, bucket: bucket, name: name,
                contentType: metadata["contentType"]?.stringValue ?? request.header("x-upload-content-type")
                    ?? "application/octet-stream",
                metadata: Self.stringMap(metadata["metadata"]), expectedCRC32C: metadata["crc32c"]?.stringValue,
                expectedMD5: metadata["md5Hash"]?.stringValue, ifGenerationMatch: preconditions.ifGenerationMatch,
                ifGenerationNotMatch: preconditions.ifGenerationNotMatch, received: 0, finalGeneration: nil)
            try await service.startUpload(session)
            let location = "\(request.baseURL)/upload/storage/v1/b/\(bucket)/o?uploadType=resumable&upload_id=\(id)"
            return Reply.empty(status: 200, headers: [("Location", location), ("X-GUploader-UploadID", id)])
        default:
            throw APIError.invalidArgument("Unknown uploadType '\(q["uploadType"] ?? "")'.", shape: .storage)
        }
    }

    private func resumableChunk(_ request: IncomingRequest, id: String) async throws(APIError) -> Response {
        if request.method == "DELETE" {
            _ = await service.cancelUpload(id: id)
            return Reply.empty(status: 499)
        }
        let chunk: ChunkBytes = request.bodyFile.map { .file($0) } ?? .data(request.body)
        var first: Int64? = 0
        var total: Int64? = chunk.count
        if let header = request.header("content-range") {
            let range = try ByteRanges.contentRange(header, chunkSize: chunk.count)
            first = range.first
            total = range.total
        }
        let result = try await service.putChunk(
            id: id, first: first, total: total, chunk: chunk,
            hashHeader: Self.parseHashHeader(request.header("x-goog-hash")))
        switch result {
        case .complete(let object):
            return Reply.json(object.json(baseURL: request.baseURL))
        case .incomplete(let received):
            let headers = received > 0 ? [("Range", "bytes=0-\(received - 1)")] : []
            return Reply.empty(status: 308, headers: headers)
        }
    }
}
