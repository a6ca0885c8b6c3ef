import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Cloud Storage state: each bucket is a folder of plain files (so a job's mounted volume *is* the bucket
/// prefix), with metadata sidecars kept in a separate tree, and resumable sessions under `uploads/`.
actor StorageService {
    /// Generation preconditions of a request (`ifGenerationMatch` & co.).
    struct Preconditions: Sendable {
        var ifGenerationMatch: Int64?
        var ifGenerationNotMatch: Int64?
        var ifMetagenerationMatch: Int64?
        var ifMetagenerationNotMatch: Int64?

        init(_ query: Query) {
            ifGenerationMatch = query["ifGenerationMatch"].flatMap { Int64($0) }
            ifGenerationNotMatch = query["ifGenerationNotMatch"].flatMap { Int64($0) }
            ifMetagenerationMatch = query["ifMetagenerationMatch"].flatMap { Int64($0) }
            ifMetagenerationNotMatch = query["ifMetagenerationNotMatch"].flatMap { Int64($0) }
        }

        init(ifGenerationMatch: Int64?, ifGenerationNotMatch: Int64?) {
            self.ifGenerationMatch = ifGenerationMatch
            self.ifGenerationNotMatch = ifGenerationNotMatch
        }

        func check(_ current: ObjectMetadata?) throws(APIError) {
            let generation = current?.generation ?? 0
            let failed = APIError.preconditionFailed(
                "At least one of the pre-conditions you specified did not hold.", location: "If-Match")
            if let wanted = ifGenerationMatch, wanted != generation { throw failed }
            if let unwanted = ifGenerationNotMatch, unwanted == generation { throw failed }
            if let wanted = ifMetagenerationMatch, wanted != (current?.metageneration ?? 0) { throw failed }
            if let unwanted = ifMetagenerationNotMatch, current != nil, unwanted == current?.metageneration {
                throw failed
            }
        }
    }

    let root: URL
    let objectsRoot: URL
    private let metaRoot: URL
    private let bucketsMetaRoot: URL
    let uploadsRoot: URL
    private let now: @Sendable () -> Date
    private var lastGeneration: Int64 = 0

    init(root: URL, now: @escaping @Sendable () -> Date) throws {
        self.root = root
        self.now = now
        objectsRoot = root.appendingPathComponent("buckets")
        metaRoot = root.appendingPathComponent("meta")
        bucketsMetaRoot = root.appendingPathComponent("bucket-meta")
        uploadsRoot = root.appendingPathComponent("uploads")
        for folder in [objectsRoot, metaRoot, bucketsMetaRoot, uploadsRoot] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        // Bodies of requests that a previous emulator process was receiving when it stopped.
        for leftover in (try? FileManager.default.contentsOfDirectory(atPath: uploadsRoot.path)) ?? []
        where leftover.hasPrefix("spool-") {
            try? FileManager.default.removeItem(at: uploadsRoot.appendingPathComponent(leftover))
        }
    }

    // MARK: Buckets

    static func validateBucketName(_ name: String) throws(APIError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
        guard (3...222).contains(name.count), name.allSatisfy({ allowed.contains($0) }),
            let first = name.first, first.isLetter || first.isNumber
        else {
            throw APIError.invalidArgument(
                "Invalid bucket name: '\(name)'. Use 3-63 lowercase letters, digits, '-', '_' or '.'", shape: .storage)
        }
    }

    private func bucketJSON(_ name: String) -> JSONValue {
        let created =
            (try? FileManager.default.attributesOfItem(atPath: objectsRoot.appendingPathComponent(name).path))?[
                .creationDate] as? Date ?? now()
        return .object([
            "kind": .string("storage#bucket"), "id": .string(name), "name": .string(name),
            "location": .string("US"), "storageClass": .string("STANDARD"), "metageneration": .string("1"),
            "projectNumber": .string("0"), "timeCreated": .string(RFC3339.format(created)),
            "updated": .string(RFC3339.format(created)), "etag": .string("CAE="),
        ])
    }

    func bucketExists(_ name: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(
            atPath: objectsRoot.appendingPathComponent(name).path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// `POST /storage/v1/b`: 409 when the bucket exists.
    func createBucket(_ name: String) throws(APIError) -> JSONValue {
        try Self.validateBucketName(name)
        if bucketExists(name) {
            throw APIError(
                httpStatus: 409, status: "ALREADY_EXISTS",
                message: "Your previous request to create the named bucket succeeded and you already own it.",
                reason: "conflict", shape: .storage)
        }
        ensureBucket(name)
        return bucketJSON(name)
    }

    func getBucket(_ name: String) throws(APIError) -> JSONValue {
        guard bucketExists(name) else {
            throw APIError.notFound("The specified bucket does not exist.", shape: .storage)
        }
        return bucketJSON(name)
    }

    func listBuckets() -> JSONValue {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: objectsRoot.path)) ?? []).sorted()
        return .object(["kind": .string("storage#buckets"), "items": .array(names.map { bucketJSON($0) })])
    }

    /// Creates the bucket folder if needed (buckets are created on first use).
    @discardableResult
    func ensureBucket(_ name: String) -> URL {
        let folder = objectsRoot.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The local folder that holds `bucket/prefix` (a job volume's `remotePath`), created if needed.
    func folder(forRemotePath remotePath: String) throws(APIError) -> URL {
        let parts = remotePath.split(separator: "/", maxSplits: 1).map(String.init)
        guard let bucket = parts.first else {
            throw APIError.invalidArgument("volumes.gcs.remotePath is empty; give a bucket name or bucket/folder")
        }
        try Self.validateBucketName(bucket)
        var folder = ensureBucket(bucket)
        if parts.count > 1 {
            let prefix = parts[1].split(separator: "/").map(String.init)
            guard !prefix.contains(".."), !prefix.contains(".") else {
                throw APIError.invalidArgument("volumes.gcs.remotePath '\(remotePath)' must not contain '.' or '..'")
            }
            for component in prefix { folder.appendPathComponent(component) }
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        return folder
    }

    // MARK: Object paths

    static func validateObjectName(_ name: String) throws(APIError) {
        guard !name.isEmpty else { throw APIError.invalidArgument("Object name is required.", shape: .storage) }
        let body = name.hasSuffix("/") ? String(name.dropLast()) : name
        let components = body.split(separator: "/", omittingEmptySubsequences: false)
        guard !body.isEmpty, !name.hasPrefix("/"), !name.contains("\0"),
            components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasSuffix(".__meta.json") })
        else {
            throw APIError.invalidArgument(
                "Object name '\(name)' cannot be stored by LocalCloud, which keeps objects as files: "
                    + "avoid empty, '.' and '..' path segments and a leading '/'", shape: .storage)
        }
    }

    func fileURL(_ bucket: String, _ name: String) -> URL {
        objectsRoot.appendingPathComponent(bucket).appendingPathComponent(name)
    }

    func sidecarURL(_ bucket: String, _ name: String) -> URL {
        metaRoot.appendingPathComponent(bucket).appendingPathComponent(name + ".__meta.json")
    }

    private func nextGeneration(atLeast minimum: Int64) -> Int64 {
        let candidate = max(Int64(now().timeIntervalSince1970 * 1_000_000), minimum, lastGeneration + 1)
        lastGeneration = candidate
        return candidate
    }

    private static func fileStat(_ url: URL) -> (size: Int64, mtime: Int64, isDirectory: Bool)? {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return (Int64(info.st_size), mtime, (info.st_mode & S_IFMT) == S_IFDIR)
    }

    private func readSidecar(_ bucket: String, _ name: String) -> ObjectMetadata? {
        guard let data = try? Data(contentsOf: sidecarURL(bucket, name)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(ObjectMetadata.self, from: data)
    }

    private func writeSidecar(_ metadata: ObjectMetadata) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        if let data = try? encoder.encode(metadata) {
            try? AtomicFile.write(data, to: sidecarURL(metadata.bucket, metadata.name))
        }
    }

    /// The current object, reconciling the file with its sidecar: a file written behind the API (by a job)
    /// becomes an object with a fresh generation and hashes.
    func current(_ bucket: String, _ name: String) -> ObjectMetadata? {
        let url = fileURL(bucket, name)
        let isMarker = name.hasSuffix("/")
        guard let info = Self.fileStat(url), info.isDirectory == isMarker else { return nil }
        let sidecar = readSidecar(bucket, name)
        if isMarker { return sidecar }
        if let sidecar, sidecar.fileSize == info.size, sidecar.fileModificationNanos == info.mtime { return sidecar }
        guard let hashes = try? ObjectHashes.ofFile(url) else { return nil }
        let time = Date(timeIntervalSince1970: Double(info.mtime) / 1e9)
        let metadata = ObjectMetadata(
            bucket: bucket, name: name, generation: nextGeneration(atLeast: (sidecar?.generation ?? 0) + 1),
            metageneration: 1, contentType: sidecar?.contentType ?? Self.guessContentType(name), size: info.size,
            crc32c: hashes.crc32c, md5Hash: hashes.md5Hash, timeCreated: time, updated: time,
            metadata: sidecar?.metadata, fileSize: info.size, fileModificationNanos: info.mtime)
        writeSidecar(metadata)
        return metadata
    }

    static func guessContentType(_ name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "txt", "log": return "text/plain"
        case "json": return "application/json"
        case "py": return "text/x-python"
        case "csv": return "text/csv"
        case "html": return "text/html"
        default: return "application/octet-stream"
        }
    }

    // MARK: Objects

    /// Stores an object from a file already written under `uploads/` (moved into place) or from bytes.
    func insert(
        bucket: String, name: String, contents: Data?, file: URL?, contentType: String?,
        metadata: [String: String]?, preconditions: Preconditions, expectedCRC32C: String?, expectedMD5: String?
    ) throws(APIError) -> ObjectMetadata {
        try Self.validateBucketName(bucket)
        try Self.validateObjectName(name)
        let existing = current(bucket, name)
        try preconditions.check(existing)
        let hashes: ObjectHashes
        if let contents {
            hashes = ObjectHashes.of(contents)
        } else if let file, let fileHashes = try? ObjectHashes.ofFile(file) {
            hashes = fileHashes
        } else {
            throw APIError(
                httpStatus: 500, status: "INTERNAL", message: "LocalCloud lost the uploaded data",
                reason: "backendError",
                shape: .storage)
        }
        if let expectedCRC32C, expectedCRC32C != hashes.crc32c {
            throw APIError.invalidArgument(
                "Provided CRC32C \"\(expectedCRC32C)\" doesn't match calculated CRC32C \"\(hashes.crc32c)\".",
                shape: .storage)
        }
        if let expectedMD5, expectedMD5 != hashes.md5Hash {
            throw APIError.invalidArgument(
                "Provided MD5 hash \"\(expectedMD5)\" doesn't match calculated MD5 hash \"\(hashes.md5Hash)\".",
                shape: .storage)
        }
        ensureBucket(bucket)
        let destination = fileURL(bucket, name)
        do {
            if name.hasSuffix("/") {
                try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
            } else if let contents {
                try AtomicFile.write(contents, to: destination)
            } else if let file {
                try FileManager.default.createDirectory(
                    at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                if rename(file.path, destination.path) != 0 { throw LocalCloudError.io("move upload", errno) }
            }
        } catch {
            throw APIError(
                httpStatus: 500, status: "INTERNAL",
                message: "LocalCloud could not write object '\(name)' in bucket '\(bucket)': \(error)",
                reason: "backendError", shape: .storage)
        }
        let info = Self.fileStat(destination)
        let time = now()
        let stored = ObjectMetadata(
            bucket: bucket, name: name, generation: nextGeneration(atLeast: (existing?.generation ?? 0) + 1),
            metageneration: 1, contentType: contentType ?? "application/octet-stream",
            size: name.hasSuffix("/") ? 0 : (info?.size ?? 0), crc32c: hashes.crc32c, md5Hash: hashes.md5Hash,
            timeCreated: time, updated: time, metadata: metadata, fileSize: info?.size ?? 0,
            fileModificationNanos: info?.mtime ?? 0)
        writeSidecar(stored)
        return stored
    }

    /// The object's metadata, honouring `generation` and the preconditions; 404 when absent.
    func get(bucket: String, name: String, generation: Int64?, preconditions: Preconditions) throws(APIError)
        -> ObjectMetadata
    {
        guard let object = current(bucket, name), generation == nil || generation == object.generation else {
            throw APIError.notFound("No such object: \(bucket)/\(name)", shape: .storage)
        }
        try preconditions.check(object)
        return object
    }

    /// Opens an object's bytes (or a range of them) with its metadata. The open file keeps these bytes even if
    /// the object is replaced while they are being sent (a replacement is a new file renamed into place).
    func open(
        bucket: String, name: String, generation: Int64?, preconditions: Preconditions, range: ClosedRange<Int64>?
    ) throws(APIError) -> (ObjectMetadata, ObjectBytes) {
        let object = try get(bucket: bucket, name: name, generation: generation, preconditions: preconditions)
        if name.hasSuffix("/") { return (object, ObjectBytes(descriptor: -1, offset: 0, length: 0)) }
        let descriptor = Glibc.open(fileURL(bucket, name).path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw APIError.notFound("No such object: \(bucket)/\(name)", shape: .storage)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int64(info.st_size) == object.size else {
            close(descriptor)
            throw APIError(
                httpStatus: 500, status: "INTERNAL",
                message:
                    "LocalCloud's file for \(bucket)/\(name) does not hold the \(object.size) bytes its metadata says",
                reason: "backendError", shape: .storage)
        }
        let offset = range?.lowerBound ?? 0
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? object.size
        return (object, ObjectBytes(descriptor: descriptor, offset: offset, length: length))
    }

    func delete(bucket: String, name: String, generation: Int64?, preconditions: Preconditions) throws(APIError) {
        _ = try get(bucket: bucket, name: name, generation: generation, preconditions: preconditions)
        let url = fileURL(bucket, name)
        if name.hasSuffix("/") {
            // The marker only: the folder stays while other objects live under it.
            let remaining = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            if remaining.isEmpty { try? FileManager.default.removeItem(at: url) }
        } else {
            try? FileManager.default.removeItem(at: url)
        }
        try? FileManager.default.removeItem(at: sidecarURL(bucket, name))
    }
}
