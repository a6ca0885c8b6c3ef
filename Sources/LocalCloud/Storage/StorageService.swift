import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Cloud Storage state: each bucket is a folder of plain files (so a job's mounted volume *is* the bucket
/// prefix), with metadata sidecars kept in a separate tree, and resumable sessions under `uploads/`.
///
/// Every name is checked by `StorageNames` (through `ObjectKey`) and every file is reached through a
/// `ConfinedFolder`, which never follows a link: no request can read, write, list or delete outside the state folder.
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
    /// `buckets/<bucket>/<object name>`: the objects as plain files (a job's volume is such a folder).
    let objects: ConfinedFolder
    /// `meta/<bucket>/<object name>.__meta.json`: the sidecars.
    let meta: ConfinedFolder
    /// `uploads/`: spooled request bodies and resumable sessions.
    let uploads: ConfinedFolder
    nonisolated var objectsRoot: URL { objects.url }
    nonisolated var uploadsRoot: URL { uploads.url }
    private let now: @Sendable () -> Date
    private var lastGeneration: Int64 = 0

    init(root: URL, now: @escaping @Sendable () -> Date) throws {
        self.root = root
        self.now = now
        objects = try ConfinedFolder(creating: root.appendingPathComponent("buckets"))
        meta = try ConfinedFolder(creating: root.appendingPathComponent("meta"))
        uploads = try ConfinedFolder(creating: root.appendingPathComponent("uploads"))
        // Bodies of requests that a previous emulator process was receiving when it stopped.
        for leftover in uploads.entries([]) where leftover.name.hasPrefix("spool-") {
            uploads.removeFile([leftover.name])
        }
    }

    // MARK: Buckets

    private func bucketJSON(_ name: String) -> JSONValue {
        let created = objects.status([name]).map { Date(timeIntervalSince1970: Double($0.st_ctim.tv_sec)) } ?? now()
        return .object([
            "kind": .string("storage#bucket"), "id": .string(name), "name": .string(name),
            "location": .string("US"), "storageClass": .string("STANDARD"), "metageneration": .string("1"),
            "projectNumber": .string("0"), "timeCreated": .string(RFC3339.format(created)),
            "updated": .string(RFC3339.format(created)), "etag": .string("CAE="),
        ])
    }

    /// True when the bucket's folder exists (a checked name, a real folder: never a link).
    func bucketExists(_ name: String) throws(APIError) -> Bool {
        try StorageNames.checkBucket(name)
        return objects.isDirectory([name])
    }

    /// `POST /storage/v1/b`: 409 when the bucket exists.
    func createBucket(_ name: String) throws(APIError) -> JSONValue {
        if try bucketExists(name) {
            throw APIError(
                httpStatus: 409, status: "ALREADY_EXISTS",
                message: "Your previous request to create the named bucket succeeded and you already own it.",
                reason: "conflict", shape: .storage)
        }
        try ensureBucket(name)
        return bucketJSON(name)
    }

    func getBucket(_ name: String) throws(APIError) -> JSONValue {
        guard try bucketExists(name) else {
            throw APIError.notFound("The specified bucket does not exist.", shape: .storage)
        }
        return bucketJSON(name)
    }

    func listBuckets() -> JSONValue {
        let names = objects.entries([]).filter { entry in
            entry.kind == .directory && (try? StorageNames.checkBucket(entry.name)) != nil
        }.map(\.name).sorted()
        return .object(["kind": .string("storage#buckets"), "items": .array(names.map { bucketJSON($0) })])
    }

    /// Creates the bucket folder if needed (buckets are created on first use).
    func ensureBucket(_ name: String) throws(APIError) {
        try StorageNames.checkBucket(name)
        do { try objects.createDirectory([name]) } catch { throw Self.backendError("create bucket '\(name)'", error) }
    }

    /// The local folder that holds `bucket/prefix` (a job volume's `remotePath`), created if needed. Each name
    /// is checked like an object name's, and no folder on the way may be a link (a job could have planted one
    /// in the bucket to have a later job's volume bound elsewhere).
    func folder(forRemotePath remotePath: String) throws(APIError) -> URL {
        let parts = remotePath.split(separator: "/", maxSplits: 1).map(String.init)
        guard let bucket = parts.first else {
            throw APIError.invalidArgument("volumes.gcs.remotePath is empty; give a bucket name or bucket/folder")
        }
        var components = [bucket]
        if parts.count > 1 {
            let prefix = parts[1].hasSuffix("/") ? parts[1] : parts[1] + "/"
            do {
                components = try ObjectKey(bucket: bucket, name: prefix).fileComponents
            } catch {
                throw APIError.invalidArgument(
                    "volumes.gcs.remotePath \(StorageNames.quoted(remotePath)) cannot be a local folder: "
                        + error.message)
            }
        } else {
            try StorageNames.checkBucket(bucket)
        }
        do {
            try objects.createDirectory(components)
        } catch {
            throw APIError.invalidArgument(
                "volumes.gcs.remotePath \(StorageNames.quoted(remotePath)) cannot be mounted: \(error) "
                    + "(a folder on the way is missing, a file or a symbolic link)")
        }
        return objects.url(components)
    }

    // MARK: Object files

    static func backendError(_ what: String, _ error: any Error) -> APIError {
        APIError(
            httpStatus: 500, status: "INTERNAL", message: "LocalCloud could not \(what): \(error)",
            reason: "backendError", shape: .storage)
    }

    private func nextGeneration(atLeast minimum: Int64) -> Int64 {
        let micros = Int64(exactly: (now().timeIntervalSince1970 * 1_000_000).rounded(.down)) ?? 0
        let candidate = max(micros, minimum, lastGeneration &+ 1)
        lastGeneration = candidate
        return candidate
    }

    private struct FileStatus {
        var size: Int64
        var mtime: Int64
        var isDirectory: Bool
    }

    /// The status of an object's file, or nil when it is absent or is neither a regular file nor a folder.
    private func fileStatus(_ key: ObjectKey) -> FileStatus? {
        guard let info = objects.status(key.fileComponents) else { return nil }
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFDIR else { return nil }
        let mtime = Int64(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_mtim.tv_nsec)
        return FileStatus(size: Int64(info.st_size), mtime: mtime, isDirectory: type == S_IFDIR)
    }

    private func readSidecar(_ key: ObjectKey) -> ObjectMetadata? {
        guard let data = meta.read(key.sidecarComponents) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(ObjectMetadata.self, from: data)
    }

    private func writeSidecar(_ metadata: ObjectMetadata, _ key: ObjectKey) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        if let data = try? encoder.encode(metadata) {
            try? meta.writeAtomically(data, to: key.sidecarComponents)
        }
    }

    /// Hashes a regular file of `folder`, opened without following links.
    private static func hashFile(_ components: [String], in folder: ConfinedFolder) -> ObjectHashes? {
        guard let descriptor = try? folder.openFile(components, flags: O_RDONLY) else { return nil }
        defer { close(descriptor) }
        return try? ObjectHashes.ofDescriptor(descriptor)
    }

    /// The current object, reconciling the file with its sidecar: a file written behind the API (by a job)
    /// becomes an object with a fresh generation and hashes. A link, FIFO or other special file is no object.
    func current(_ key: ObjectKey) -> ObjectMetadata? {
        guard let info = fileStatus(key), info.isDirectory == key.isFolderMarker else { return nil }
        let sidecar = readSidecar(key)
        if key.isFolderMarker { return sidecar }
        if let sidecar, sidecar.fileSize == info.size, sidecar.fileModificationNanos == info.mtime { return sidecar }
        guard let hashes = Self.hashFile(key.fileComponents, in: objects) else { return nil }
        let time = Date(timeIntervalSince1970: Double(info.mtime) / 1e9)
        let metadata = ObjectMetadata(
            bucket: key.bucket, name: key.name,
            generation: nextGeneration(atLeast: (sidecar?.generation ?? 0) &+ 1),
            metageneration: 1, contentType: sidecar?.contentType ?? Self.guessContentType(key.name), size: info.size,
            crc32c: hashes.crc32c, md5Hash: hashes.md5Hash, timeCreated: time, updated: time,
            metadata: sidecar?.metadata, fileSize: info.size, fileModificationNanos: info.mtime)
        writeSidecar(metadata, key)
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
        let key = try ObjectKey(bucket: bucket, name: name)
        let existing = current(key)
        try preconditions.check(existing)
        // An uploaded file is a name in uploads/, never a path from elsewhere.
        var uploaded: [String]?
        if let file {
            guard file.deletingLastPathComponent().standardizedFileURL.path == uploads.url.standardizedFileURL.path
            else { throw Self.backendError("store an upload", LocalCloudError.unsafePath("not in uploads/")) }
            uploaded = [file.lastPathComponent]
        }
        let hashes: ObjectHashes
        if let contents {
            hashes = ObjectHashes.of(contents)
        } else if let uploaded, let fileHashes = Self.hashFile(uploaded, in: uploads) {
            hashes = fileHashes
        } else {
            throw APIError(
                httpStatus: 500, status: "INTERNAL", message: "LocalCloud lost the uploaded data",
                reason: "backendError", shape: .storage)
        }
        if let expectedCRC32C, expectedCRC32C != hashes.crc32c {
            throw APIError.invalidArgument(
                "Provided CRC32C \"\(expectedCRC32C.prefix(64))\" doesn't match calculated CRC32C \"\(hashes.crc32c)\".",
                shape: .storage)
        }
        if let expectedMD5, expectedMD5 != hashes.md5Hash {
            throw APIError.invalidArgument(
                "Provided MD5 hash \"\(expectedMD5.prefix(64))\" doesn't match calculated MD5 hash \"\(hashes.md5Hash)\".",
                shape: .storage)
        }
        do {
            try objects.createDirectory([key.bucket])
            if key.isFolderMarker {
                try objects.createDirectory(key.fileComponents)
            } else if let contents {
                try objects.writeAtomically(contents, to: key.fileComponents)
            } else if let uploaded {
                try objects.move(uploaded, of: uploads, to: key.fileComponents)
            }
        } catch {
            throw Self.backendError(
                "write object \(StorageNames.quoted(name)) in bucket '\(bucket)' (a folder on its path may be a "
                    + "file or a link)", error)
        }
        let info = fileStatus(key)
        let time = now()
        let stored = ObjectMetadata(
            bucket: bucket, name: name, generation: nextGeneration(atLeast: (existing?.generation ?? 0) &+ 1),
            metageneration: 1, contentType: contentType ?? "application/octet-stream",
            size: key.isFolderMarker ? 0 : (info?.size ?? 0), crc32c: hashes.crc32c, md5Hash: hashes.md5Hash,
            timeCreated: time, updated: time, metadata: metadata, fileSize: info?.size ?? 0,
            fileModificationNanos: info?.mtime ?? 0)
        writeSidecar(stored, key)
        return stored
    }

    /// The object's metadata, honouring `generation` and the preconditions; 404 when absent.
    func get(bucket: String, name: String, generation: Int64?, preconditions: Preconditions) throws(APIError)
        -> ObjectMetadata
    {
        try get(ObjectKey(bucket: bucket, name: name), generation: generation, preconditions: preconditions)
    }

    private func get(_ key: ObjectKey, generation: Int64?, preconditions: Preconditions) throws(APIError)
        -> ObjectMetadata
    {
        guard let object = current(key), generation == nil || generation == object.generation else {
            throw APIError.notFound(
                "No such object: \(key.bucket)/\(StorageNames.quoted(key.name))", shape: .storage)
        }
        try preconditions.check(object)
        return object
    }

    /// Opens an object's bytes (or a range of them) with its metadata. The open file keeps these bytes even if
    /// the object is replaced while they are being sent (a replacement is a new file renamed into place).
    func open(
        bucket: String, name: String, generation: Int64?, preconditions: Preconditions, range: ClosedRange<Int64>?
    ) throws(APIError) -> (ObjectMetadata, ObjectBytes) {
        let key = try ObjectKey(bucket: bucket, name: name)
        let object = try get(key, generation: generation, preconditions: preconditions)
        if key.isFolderMarker { return (object, ObjectBytes(descriptor: -1, offset: 0, length: 0)) }
        guard let descriptor = try? objects.openFile(key.fileComponents, flags: O_RDONLY) else {
            throw APIError.notFound("No such object: \(bucket)/\(StorageNames.quoted(name))", shape: .storage)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int64(info.st_size) == object.size,
            range.map({ $0.lowerBound >= 0 && $0.upperBound < object.size }) ?? true
        else {
            close(descriptor)
            throw APIError(
                httpStatus: 500, status: "INTERNAL",
                message: "LocalCloud's file for \(bucket)/\(StorageNames.quoted(name)) does not hold the "
                    + "\(object.size) bytes its metadata says",
                reason: "backendError", shape: .storage)
        }
        let offset = range?.lowerBound ?? 0
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? object.size
        return (object, ObjectBytes(descriptor: descriptor, offset: offset, length: length))
    }

    func delete(bucket: String, name: String, generation: Int64?, preconditions: Preconditions) throws(APIError) {
        let key = try ObjectKey(bucket: bucket, name: name)
        _ = try get(key, generation: generation, preconditions: preconditions)
        if key.isFolderMarker {
            // The marker only: the folder stays while other objects live under it.
            objects.removeEmptyDirectory(key.fileComponents)
        } else {
            objects.removeFile(key.fileComponents)
        }
        meta.removeFile(key.sidecarComponents)
    }
}
