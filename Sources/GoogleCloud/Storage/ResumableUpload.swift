import Foundation
import Primitives

/// A resumable upload session: chunks that are multiples of 256 KiB, streamed from the file, each `PUT` answered
/// by `308` with the range persisted so far; after a failure the session's status is asked (`bytes */TOTAL`) and
/// the upload resumes from what the server has. A session the server forgot (404, 410) is started again, once.
///
/// The file's CRC32C and MD5 are computed beside the upload (`hashes`) and sent with the last chunk in
/// `x-goog-hash`, so the server refuses to create an object whose bytes differ from the file's.
struct ResumableUpload {
    let client: StorageClient
    let file: URL
    let bucket: String
    let name: String
    let contentType: String
    let size: Int64
    let hashes: Task<FileHashes, any Error>
    let ifGenerationMatch: Int64?
    /// Chunk-level failures tolerated before giving up.
    var maxFailures = 6

    private var resource: String { StorageClient.resource(bucket, name) }
    private var caller: APICaller { client.caller }

    func run() async throws -> StorageObject {
        var restarts = 0
        while true {
            let session = try await start()
            do {
                return try await send(to: session)
            } catch let error as GoogleAPIError
                where (error.httpStatus == 404 || error.httpStatus == 410) && restarts == 0
            {
                restarts += 1
            }
        }
    }

    /// Opens the session; its URI comes back in `Location`.
    func start() async throws -> URL {
        let url = URLBuilder.url(
            client.endpoint, path: "/upload/storage/v1/b/\(PathSegment.encode(bucket))/o",
            query: [("uploadType", "resumable"), ("ifGenerationMatch", ifGenerationMatch.map(String.init))])
        let metadata: [String: String] = ["name": name, "contentType": contentType]
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: [
                "Content-Type": "application/json; charset=UTF-8", "X-Upload-Content-Type": contentType,
                "X-Upload-Content-Length": String(size),
            ],
            body: .data(
                try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys, .withoutEscapingSlashes])))
        // Opening a session creates nothing, so it may always be retried.
        let response = try await caller.send(
            request, service: StorageClient.service, method: "objects.insert (resumable start)", resource: resource,
            idempotent: true)
        guard let location = response.header("Location"), let session = URL(string: location) else {
            throw GoogleAPIError(
                service: StorageClient.service, method: "objects.insert (resumable start)", resource: resource,
                httpStatus: response.status, status: "MALFORMED_RESPONSE",
                message: "no Location header with the session")
        }
        return session
    }

    private func send(to session: URL) async throws -> StorageObject {
        let total = size
        var offset: Int64 = 0
        var failures = 0
        while true {
            let length = chunkLength(from: offset)
            guard try StorageClient.size(of: file) == total else {
                throw StorageClient.changedWhileReading(file, bucket, name)
            }
            let last = offset + length - 1
            let range = length == 0 ? "bytes */\(total)" : "bytes \(offset)-\(last)/\(total)"
            var headers = ["Content-Range": range, "Content-Type": contentType]
            if offset + length == total {
                let hashes = try await StorageClient.value(of: hashes)
                guard hashes.size == total else { throw StorageClient.changedWhileReading(file, bucket, name) }
                headers["x-goog-hash"] =
                    "crc32c=\(CRC32C.base64(hashes.crc32c))" + (hashes.md5Base64.map { ",md5=\($0)" } ?? "")
            }
            let request = HTTPRequest(
                method: "PUT", url: session, headers: headers,
                body: length == 0 ? .data(Data()) : .fileRange(file, offset: offset, length: length),
                timeout: .seconds(300))
            do {
                let response = try await put(request)
                if let object = try finished(response) { return object }
                offset = Self.persisted(response)
                failures = 0
            } catch let error where Self.isResumable(error) && failures < maxFailures {
                failures += 1
                try await client.caller.clock.sleep(for: .milliseconds(200 * (1 << min(failures, 6))))
                let status = try await query(session, total: total)
                if let object = try finished(status) { return object }
                offset = Self.persisted(status)
            }
        }
    }

    /// How much to send from `offset`. With `chunkSize` set, chunks of that size. Otherwise, over a streaming
    /// transport, everything but the last 256 KiB or less goes in one request while the file's hashes are computed
    /// beside it, and that last piece follows with them (`x-goog-hash` must precede the body it describes);
    /// over another transport, 8 MiB chunks.
    func chunkLength(from offset: Int64) -> Int64 {
        let quantum: Int64 = 256 << 10
        if let chunk = client.chunkSize { return min(Int64(chunk), size - offset) }
        guard caller.transport.streamsFileBodies else { return min(8 << 20, size - offset) }
        let bulkEnd = ((size - 1) / quantum) * quantum
        guard offset < bulkEnd, (bulkEnd - offset) % quantum == 0 else { return size - offset }
        return bulkEnd - offset
    }

    /// One PUT, without the caller's own retries: after a failure the session's status decides what to resend.
    private func put(_ request: HTTPRequest) async throws -> HTTPResponse {
        let once = APICaller(transport: caller.transport, credentials: caller.credentials, retry: .none)
        return try await once.send(
            request, service: StorageClient.service, method: "objects.insert (resumable chunk)", resource: resource,
            idempotent: true, accept: [308])
    }

    /// Asks how much of the upload the server holds.
    func query(_ session: URL, total: Int64) async throws -> HTTPResponse {
        let request = HTTPRequest(
            method: "PUT", url: session, headers: ["Content-Range": "bytes */\(total)"], body: .data(Data()))
        return try await caller.send(
            request, service: StorageClient.service, method: "objects.insert (resumable status)", resource: resource,
            idempotent: true, accept: [308])
    }

    private func finished(_ response: HTTPResponse) throws -> StorageObject? {
        guard response.status == 200 || response.status == 201 else { return nil }
        return try APICaller.decode(
            StorageObject.self, from: response, service: StorageClient.service, method: "objects.insert (resumable)",
            resource: resource)
    }

    /// The offset to continue from: one past the end of `Range: bytes=0-N`, or 0 without a Range.
    static func persisted(_ response: HTTPResponse) -> Int64 {
        guard let range = response.header("Range"), let dash = range.lastIndex(of: "-"),
            let end = Int64(range[range.index(after: dash)...].trimmingCharacters(in: .whitespaces))
        else { return 0 }
        return end + 1
    }

    private static func isResumable(_ error: any Error) -> Bool {
        if let error = error as? TransportError { return error.isRetryable }
        if let error = error as? GoogleAPIError { return [408, 429, 500, 502, 503, 504].contains(error.httpStatus) }
        return false
    }
}
