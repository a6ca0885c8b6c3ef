import Foundation
import Primitives

/// Cloud Storage JSON API v1: uploads (multipart, or resumable above a threshold), streaming downloads checked
/// against `x-goog-hash`, listing, deletion.
public struct StorageClient: Sendable {
    static let service = "Cloud Storage"
    public let caller: APICaller
    public let endpoint: URL
    /// Files up to this size go in one multipart request; larger ones use a resumable session.
    public var multipartThreshold: Int64 = 8 << 20
    /// The size of each resumable chunk, a multiple of 256 KiB; nil sends the rest of the file in one request, as
    /// Google advises, when the transport streams file bodies (`CurlTransport`), and 8 MiB chunks otherwise (a
    /// chunk is then read into memory). After a failure the upload resumes from what the server holds either way.
    public var chunkSize: Int?

    /// Which of `x-goog-hash`'s checksums a download verifies.
    public enum DownloadCheck: Sendable {
        /// CRC32C when the server sends one, else MD5: one checksum, CRC32C first, as Google's own clients
        /// verify (`checksum="auto"` in google-cloud-storage, gcloud's default).
        case crc32cElseMD5
        /// Both, when the server sends both. MD5 runs at well under a gigabyte a second on one core, so it bounds
        /// a large download's throughput.
        case crc32cAndMD5
    }

    public var downloadCheck: DownloadCheck = .crc32cElseMD5

    public init(caller: APICaller, endpoint: URL) {
        self.caller = caller
        self.endpoint = endpoint
    }

    static func objectPath(_ bucket: String, _ name: String) -> String {
        "/storage/v1/b/\(PathSegment.encode(bucket))/o/\(PathSegment.encode(name))"
    }

    static func resource(_ bucket: String, _ name: String) -> String {
        "gs://\(bucket)/\(name)"
    }

    // MARK: - Upload

    /// Uploads `file` as `name`.
    ///
    /// With `ifGenerationMatch: 0` the object is created only if it does not exist; if it does, and its CRC32C
    /// and size equal the file's (a retry of an upload whose answer was lost), the existing object is returned.
    /// The CRC32C the server reports is compared with the file's.
    public func upload(
        file: URL, bucket: String, name: String, contentType: String = "application/octet-stream",
        ifGenerationMatch: Int64? = nil
    ) async throws -> StorageObject {
        let size = try Self.size(of: file)
        // Small files are hashed first and go in one request; a large file's hashes are computed beside the
        // upload, from the same file, and sent with its last chunk.
        let hashing: Task<FileHashes, any Error> =
            size <= multipartThreshold
            ? Task { try FileHashes.of(file) }
            // CRC32C alone, as Google's clients check a resumable upload: MD5 would take about 1.4 s of a core
            // per GiB.
            : Task.detached(priority: .medium) { try FileHashes.of(file, md5: false) }
        defer { hashing.cancel() }
        let object: StorageObject
        do {
            if size <= multipartThreshold {
                let hashes = try await Self.value(of: hashing)
                let data = try Data(contentsOf: file)
                guard Int64(data.count) == hashes.size else { throw Self.changedWhileReading(file, bucket, name) }
                object = try await multipartUpload(
                    data, bucket: bucket, name: name, contentType: contentType, hashes: hashes,
                    ifGenerationMatch: ifGenerationMatch)
            } else {
                object = try await ResumableUpload(
                    client: self, file: file, bucket: bucket, name: name,
                    contentType: contentType, size: size, hashes: hashing,
                    ifGenerationMatch: ifGenerationMatch
                ).run()
            }
        } catch let error as GoogleAPIError where error.httpStatus == 412 && ifGenerationMatch == 0 {
            let hashes = try await Self.value(of: hashing)
            guard let existing = try await metadata(bucket: bucket, name: name),
                existing.size == hashes.size, existing.crc32c == CRC32C.base64(hashes.crc32c)
            else { throw error }
            return existing
        }
        let hashes = try await Self.value(of: hashing)
        guard hashes.size == size else { throw Self.changedWhileReading(file, bucket, name) }
        try Self.check(object, size: hashes.size, crc32c: hashes.crc32c)
        return object
    }

    /// A detached task's value; cancelling the waiter cancels the task (hashing a large file stops at once).
    static func value<T: Sendable>(of task: Task<T, any Error>) async throws -> T {
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }

    static func size(of file: URL) throws -> Int64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        return (attributes[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func changedWhileReading(_ file: URL, _ bucket: String, _ name: String) -> IntegrityError {
        IntegrityError(
            object: resource(bucket, name), detail: "\(file.path) changed size while it was being uploaded")
    }

    /// Uploads bytes held in memory (small objects) in one multipart request. With `ifGenerationMatch: 0`, an
    /// existing object with the same size and CRC32C (a retry of an upload whose answer was lost) is returned, as
    /// for files.
    public func upload(
        data: Data, bucket: String, name: String, contentType: String = "application/octet-stream",
        ifGenerationMatch: Int64? = nil
    ) async throws -> StorageObject {
        let crc = CRC32C.checksum(data)
        let md5 = Data(Digest.of(.md5, data)).base64EncodedString()
        let hashes = FileHashes(crc32c: crc, md5Base64: md5, size: Int64(data.count))
        let object: StorageObject
        do {
            object = try await multipartUpload(
                data, bucket: bucket, name: name, contentType: contentType, hashes: hashes,
                ifGenerationMatch: ifGenerationMatch)
        } catch let error as GoogleAPIError where error.httpStatus == 412 && ifGenerationMatch == 0 {
            guard let existing = try await metadata(bucket: bucket, name: name),
                existing.size == hashes.size, existing.crc32c == CRC32C.base64(crc)
            else { throw error }
            return existing
        }
        try Self.check(object, size: hashes.size, crc32c: crc)
        return object
    }

    static func check(_ object: StorageObject, size: Int64, crc32c: UInt32) throws {
        if object.size != size {
            throw IntegrityError(
                object: resource(object.bucket, object.name),
                detail: "sent \(size) bytes, the server stored \(object.size)")
        }
        if let reported = object.crc32c, reported != CRC32C.base64(crc32c) {
            throw IntegrityError(
                object: resource(object.bucket, object.name),
                detail: "CRC32C sent \(CRC32C.base64(crc32c)), the server stored \(reported)")
        }
    }

    private func multipartUpload(
        _ data: Data, bucket: String, name: String, contentType: String, hashes: FileHashes, ifGenerationMatch: Int64?
    ) async throws -> StorageObject {
        let boundary = "batchledger-\(UUID().uuidString)"
        var metadata: [String: String] = [
            "name": name, "contentType": contentType, "crc32c": CRC32C.base64(hashes.crc32c),
        ]
        metadata["md5Hash"] = hashes.md5Base64
        var body = Data()
        body.append(Data("--\(boundary)\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".utf8))
        body.append(
            try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys, .withoutEscapingSlashes]))
        body.append(Data("\r\n--\(boundary)\r\nContent-Type: \(contentType)\r\n\r\n".utf8))
        body.append(data)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let url = URLBuilder.url(
            endpoint, path: "/upload/storage/v1/b/\(PathSegment.encode(bucket))/o",
            query: [("uploadType", "multipart"), ("ifGenerationMatch", ifGenerationMatch.map(String.init))])
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: ["Content-Type": "multipart/related; boundary=\(boundary)", "Accept": "application/json"],
            body: .data(body))
        let response = try await caller.send(
            request, service: Self.service, method: "objects.insert", resource: Self.resource(bucket, name),
            idempotent: ifGenerationMatch != nil)
        return try APICaller.decode(
            StorageObject.self, from: response, service: Self.service, method: "objects.insert",
            resource: Self.resource(bucket, name))
    }

    /// Uploads many files with at most `parallelism` transfers at a time; results in the input's order.
    public func uploadAll(
        _ files: [(file: URL, name: String)], bucket: String, ifGenerationMatch: Int64? = nil, parallelism: Int = 8
    ) async throws -> [StorageObject] {
        try await boundedConcurrently(files.count, limit: parallelism) { index in
            try await upload(
                file: files[index].file, bucket: bucket, name: files[index].name, ifGenerationMatch: ifGenerationMatch)
        }
    }

    // MARK: - Read

    /// The object's metadata, or nil when it does not exist.
    public func metadata(bucket: String, name: String) async throws -> StorageObject? {
        let request = HTTPRequest(method: "GET", url: URLBuilder.url(endpoint, path: Self.objectPath(bucket, name)))
        let response = try await caller.send(
            request, service: Self.service, method: "objects.get", resource: Self.resource(bucket, name),
            idempotent: true, accept: [404])
        if response.status == 404 { return nil }
        return try APICaller.decode(
            StorageObject.self, from: response, service: Self.service, method: "objects.get",
            resource: Self.resource(bucket, name))
    }

    /// What a download delivered and checked.
    public struct Download: Sendable, Equatable {
        public var size: Int64
        public var crc32c: UInt32
        /// Whether a hash the server sent was compared (emulators sometimes send none).
        public var verified: Bool
    }

    /// Streams the object into `file` (written beside it first, then moved into place), and checks it against
    /// `x-goog-hash` as `downloadCheck` says, hashing the bytes as they arrive. A mismatch leaves no file behind.
    public func download(bucket: String, name: String, to file: URL) async throws -> Download {
        let folder = file.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let partial = folder.appendingPathComponent(".\(file.lastPathComponent).partial-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: partial) }
        // The media link, as google-cloud-storage downloads.
        let url = URLBuilder.url(endpoint, path: "/download" + Self.objectPath(bucket, name), query: [("alt", "media")])
        let check = downloadCheck
        let hashing = StreamingHashes { headers in
            let reported = Self.parseHashHeader(HTTPResponse(status: 200, headers: headers).header("x-goog-hash"))
            return reported["md5"] != nil && (check == .crc32cAndMD5 || reported["crc32c"] == nil)
        }
        let response = try await caller.download(
            HTTPRequest(method: "GET", url: url, timeout: .seconds(300)), to: partial, observer: hashing,
            service: Self.service, method: "objects.get (media)", resource: Self.resource(bucket, name))
        let hashes = await hashing.finish()
        var reported = Self.parseHashHeader(response.header("x-goog-hash"))
        if response.header("x-goog-stored-content-encoding")?.lowercased() == "gzip"
            && response.header("Content-Encoding") == nil
        {
            // Stored gzipped, served decompressed (decompressive transcoding): the stored hashes describe the
            // compressed bytes, so nothing can be compared, as google-cloud-storage also concludes.
            reported = [:]
        }
        if let crc = reported["crc32c"], crc != CRC32C.base64(hashes.crc32c) {
            throw IntegrityError(
                object: Self.resource(bucket, name),
                detail: "downloaded CRC32C \(CRC32C.base64(hashes.crc32c)) differs from the server's \(crc)")
        }
        if let md5 = reported["md5"], let computed = hashes.md5Base64, md5 != computed {
            throw IntegrityError(
                object: Self.resource(bucket, name), detail: "downloaded MD5 differs from the server's \(md5)")
        }
        guard rename(partial.path, file.path) == 0 else {
            throw CocoaError(
                .fileWriteUnknown,
                userInfo: [NSFilePathErrorKey: file.path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
        return Download(
            size: hashes.size, crc32c: hashes.crc32c,
            verified: reported["crc32c"] != nil || hashes.md5Base64 != nil)
    }

    /// Parses `x-goog-hash: crc32c=…,md5=…` (also sent as two header lines, which arrive joined by a comma).
    static func parseHashHeader(_ header: String?) -> [String: String] {
        guard let header else { return [:] }
        var result: [String: String] = [:]
        for part in header.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            result[String(trimmed[..<equals]).lowercased()] = String(trimmed[trimmed.index(after: equals)...])
        }
        return result
    }

    /// One page of objects under `prefix`.
    public func list(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, pageToken: String? = nil,
        maxResults: Int? = nil
    ) async throws -> ObjectListPage {
        let url = URLBuilder.url(
            endpoint, path: "/storage/v1/b/\(PathSegment.encode(bucket))/o",
            query: [
                ("prefix", prefix), ("delimiter", delimiter), ("pageToken", pageToken),
                ("maxResults", maxResults.map(String.init)),
            ])
        let resource = "gs://\(bucket)/\(prefix ?? "")"
        let response = try await caller.send(
            HTTPRequest(method: "GET", url: url), service: Self.service, method: "objects.list", resource: resource,
            idempotent: true)
        return try APICaller.decode(
            ObjectListPage.self, from: response, service: Self.service, method: "objects.list", resource: resource)
    }

    /// Every object under `prefix`, following page tokens.
    public func listAll(bucket: String, prefix: String?) async throws -> [StorageObject] {
        var objects: [StorageObject] = []
        var token: String?
        repeat {
            let page = try await list(bucket: bucket, prefix: prefix, pageToken: token)
            objects += page.items
            token = page.nextPageToken
        } while token != nil
        return objects
    }

    // MARK: - Delete

    /// Deletes the object; false when it was already gone (404 counts as done).
    @discardableResult
    public func delete(bucket: String, name: String, ifGenerationMatch: Int64? = nil) async throws -> Bool {
        let url = URLBuilder.url(
            endpoint, path: Self.objectPath(bucket, name),
            query: [("ifGenerationMatch", ifGenerationMatch.map(String.init))])
        let response = try await caller.send(
            HTTPRequest(method: "DELETE", url: url), service: Self.service, method: "objects.delete",
            resource: Self.resource(bucket, name), idempotent: true, accept: [404])
        return response.status != 404
    }

    /// Deletes every object under `prefix`; returns how many were deleted.
    @discardableResult
    public func deleteAll(bucket: String, prefix: String, parallelism: Int = 8) async throws -> Int {
        precondition(!prefix.isEmpty, "refusing to delete a whole bucket")
        let objects = try await listAll(bucket: bucket, prefix: prefix)
        let deleted = try await boundedConcurrently(objects.count, limit: parallelism) { index in
            try await delete(bucket: bucket, name: objects[index].name)
        }
        return deleted.filter { $0 }.count
    }

    /// Creates a bucket (for emulators and tests); an existing bucket is fine.
    public func createBucket(_ name: String, project: String) async throws {
        let url = URLBuilder.url(endpoint, path: "/storage/v1/b", query: [("project", project)])
        let body = try JSONSerialization.data(withJSONObject: ["name": name])
        _ = try await caller.send(
            HTTPRequest(method: "POST", url: url, headers: ["Content-Type": "application/json"], body: .data(body)),
            service: Self.service, method: "buckets.insert", resource: "gs://\(name)", idempotent: true, accept: [409])
    }

}

/// Runs `work(0..<count)` with at most `limit` at once; results in index order. The first error cancels the rest.
public func boundedConcurrently<T: Sendable>(
    _ count: Int, limit: Int, _ work: @escaping @Sendable (Int) async throws -> T
) async throws -> [T] {
    try await withThrowingTaskGroup(of: (Int, T).self) { group in
        var results = [T?](repeating: nil, count: count)
        var next = 0
        while next < min(count, max(1, limit)) {
            let index = next
            group.addTask { (index, try await work(index)) }
            next += 1
        }
        while let (index, value) = try await group.next() {
            results[index] = value
            if next < count {
                let index = next
                group.addTask { (index, try await work(index)) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}
