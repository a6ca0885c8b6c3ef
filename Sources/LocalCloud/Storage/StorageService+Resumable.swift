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
    func sessionURL(_ id: String) -> URL { uploadsRoot.appendingPathComponent(id + ".json") }
    func sessionDataURL(_ id: String) -> URL { uploadsRoot.appendingPathComponent(id + ".data") }

    func save(_ session: UploadSession) {
        if let data = try? JSONEncoder().encode(session) { try? AtomicFile.write(data, to: sessionURL(session.id)) }
    }

    func load(_ id: String) -> UploadSession? {
        guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }),
            let data = try? Data(contentsOf: sessionURL(id))
        else { return nil }
        return try? JSONDecoder().decode(UploadSession.self, from: data)
    }

    /// Starts a resumable session after checking the preconditions against the current object.
    func startUpload(_ session: UploadSession) throws(APIError) {
        try Self.validateBucketName(session.bucket)
        try Self.validateObjectName(session.name)
        try Preconditions(
            ifGenerationMatch: session.ifGenerationMatch, ifGenerationNotMatch: session.ifGenerationNotMatch
        )
        .check(current(session.bucket, session.name))
        _ = FileManager.default.createFile(atPath: sessionDataURL(session.id).path, contents: nil)
        save(session)
    }

    /// The result of one `PUT` on a session.
    enum ChunkResult: Sendable {
        case incomplete(received: Int64)
        case complete(ObjectMetadata)
    }

    /// Handles one chunk (or a status query when `chunk` is empty and `first` is nil).
    func putChunk(
        id: String, first: Int64?, total: Int64?, chunk: ChunkBytes, hashHeader: (crc32c: String?, md5: String?)
    ) throws(APIError) -> ChunkResult {
        guard var session = load(id) else {
            throw APIError.notFound("No such upload session: \(id). Start a new resumable upload.", shape: .storage)
        }
        if let generation = session.finalGeneration {
            if let object = current(session.bucket, session.name), object.generation == generation {
                return .complete(object)
            }
            throw APIError.notFound("The upload session \(id) finished and its object is gone.", shape: .storage)
        }
        if let first {
            guard first <= session.received else {
                throw APIError.invalidArgument(
                    "Chunk starts at byte \(first) but only \(session.received) bytes were received; "
                        + "query the status with 'Content-Range: bytes */*' and resume from there", shape: .storage)
            }
            let skip = session.received - first
            if session.received == 0, skip == 0, case .file(let spooled) = chunk, spooled.count > 0,
                rename(spooled.url.path, sessionDataURL(id).path) == 0
            {
                // The session's first bytes: the spooled file becomes its data, with no copy.
                session.received = spooled.count
            } else if skip < chunk.count {
                guard let handle = try? FileHandle(forWritingTo: sessionDataURL(id)) else {
                    throw APIError.notFound("Upload session data for \(id) is gone.", shape: .storage)
                }
                defer { try? handle.close() }
                do {
                    try chunk.append(from: skip, to: handle)
                } catch {
                    throw APIError(
                        httpStatus: 500, status: "INTERNAL",
                        message: "LocalCloud could not store a chunk of upload \(id): \(error)",
                        reason: "backendError", shape: .storage)
                }
                session.received += chunk.count - skip
            }
        }
        guard let total, session.received >= total else {
            save(session)
            return .incomplete(received: session.received)
        }
        let object = try insert(
            bucket: session.bucket, name: session.name, contents: nil, file: sessionDataURL(id),
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
        try? FileManager.default.removeItem(at: sessionURL(id))
        try? FileManager.default.removeItem(at: sessionDataURL(id))
        return true
    }
}
