import Foundation

/// One `PUT`'s bytes: in memory, or spooled to a file as they arrived.
enum ChunkBytes: Sendable {
    case data(Data)
    case file(SpooledBody)

    var count: Int64 {
        switch self {
        case .data(let data): return Int64(data.count)
        case .file(let spooled): return spooled.count
        }
    }

    func append(from offset: Int64, to handle: FileHandle) throws {
        switch self {
        case .data(let data):
            _ = try handle.seekToEnd()
            try handle.write(contentsOf: data.dropFirst(Int(offset)))
        case .file(let spooled):
            try spooled.append(from: offset, to: handle)
        }
    }
}

/// Resumable upload sessions: chunks appended to `uploads/<id>.data`, the object written when complete.
extension StorageService {
    /// A session id as this emulator makes them (a lowercase UUID); anything else names no session.
    static func isSessionID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) || $0 == 45 }
    }

    func save(_ session: UploadSession) {
        if let data = try? JSONEncoder().encode(session) {
            try? uploads.writeAtomically(data, to: [session.id + ".json"])
        }
    }

    func load(_ id: String) -> UploadSession? {
        guard Self.isSessionID(id), let data = uploads.read([id + ".json"]) else { return nil }
        return try? JSONDecoder().decode(UploadSession.self, from: data)
    }

    /// Starts a resumable session after checking the names and the preconditions against the current object.
    func startUpload(_ session: UploadSession) throws(APIError) {
        let key = try ObjectKey(bucket: session.bucket, name: session.name)
        try Preconditions(
            ifGenerationMatch: session.ifGenerationMatch, ifGenerationNotMatch: session.ifGenerationNotMatch
        )
        .check(current(key))
        do {
            close(try uploads.openFile([session.id + ".data"], flags: O_WRONLY | O_CREAT | O_EXCL))
        } catch {
            throw Self.backendError("start upload session \(session.id)", error)
        }
        save(session)
    }

    /// The result of one `PUT` on a session.
    enum ChunkResult: Sendable {
        case incomplete(received: Int64)
        case complete(ObjectMetadata)
    }

    /// Handles one chunk (or a status query when `chunk` is empty and `first` is nil). `first` and `total` come
    /// from a checked `Content-Range` (non-negative, consistent with the chunk's size).
    func putChunk(
        id: String, first: Int64?, total: Int64?, chunk: ChunkBytes, hashHeader: (crc32c: String?, md5: String?)
    ) throws(APIError) -> ChunkResult {
        guard var session = load(id) else {
            throw APIError.notFound(
                "No such upload session: \(StorageNames.quoted(id)). Start a new resumable upload.", shape: .storage)
        }
        let key = try ObjectKey(bucket: session.bucket, name: session.name)
        if let generation = session.finalGeneration {
            if let object = current(key), object.generation == generation {
                return .complete(object)
            }
            throw APIError.notFound("The upload session \(id) finished and its object is gone.", shape: .storage)
        }
        let dataFile = [id + ".data"]
        if let first {
            guard first >= 0, first <= session.received else {
                throw APIError.invalidArgument(
                    "Chunk starts at byte \(first) but only \(session.received) bytes were received; "
                        + "query the status with 'Content-Range: bytes */*' and resume from there", shape: .storage)
            }
            let skip = session.received - first
            if session.received == 0, skip == 0, case .file(let spooled) = chunk, spooled.count > 0,
                (try? uploads.move([spooled.url.lastPathComponent], of: uploads, to: dataFile)) != nil
            {
                // The session's first bytes: the spooled file becomes its data, with no copy.
                session.received = spooled.count
            } else if skip < chunk.count {
                guard let descriptor = try? uploads.openFile(dataFile, flags: O_WRONLY) else {
                    throw APIError.notFound("Upload session data for \(id) is gone.", shape: .storage)
                }
                let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
                do {
                    try chunk.append(from: skip, to: handle)
                } catch {
                    throw Self.backendError("store a chunk of upload \(id)", error)
                }
                session.received += chunk.count - skip
            }
        }
        if let total, session.received > total {
            throw APIError.invalidArgument(
                "Upload \(id) has received \(session.received) bytes, more than the total of \(total) "
                    + "its Content-Range announces.", shape: .storage)
        }
        guard let total, session.received == total else {
            save(session)
            return .incomplete(received: session.received)
        }
        let object = try insert(
            bucket: session.bucket, name: session.name, contents: nil, file: uploads.url(dataFile),
            contentType: session.contentType, metadata: session.metadata,
            preconditions: Preconditions(
                ifGenerationMatch: session.ifGenerationMatch, ifGenerationNotMatch: session.ifGenerationNotMatch),
            expectedCRC32C: hashHeader.crc32c ?? session.expectedCRC32C,
            expectedMD5: hashHeader.md5 ?? session.expectedMD5)
        session.finalGeneration = object.generation
        save(session)
        return .complete(object)
    }

    /// `DELETE <session>`: abandons the upload.
    func cancelUpload(id: String) -> Bool {
        guard load(id) != nil else { return false }
        uploads.removeFile([id + ".json"])
        uploads.removeFile([id + ".data"])
        return true
    }
}
