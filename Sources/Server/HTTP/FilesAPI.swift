import Engine
import Foundation
import GoogleCloud
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore
import Primitives

/// Kestra's routes for an execution's files, over the output files and FILE inputs' files the ledger lists:
///
/// - `GET executions/{id}/file?path=kestra:///…`: the file's bytes (`application/octet-stream`, as an attachment
///   with a safe file name), streamed from disk.
/// - `GET executions/{id}/file/metas?path=kestra:///…`: Kestra's `FileMetas`, `{"size": N}`.
///
/// `path` must be one of the execution's `outputs.outputFiles` URIs or a FILE input's URI (the input's value,
/// `kestra:///…/executions/<id>/inputs/<input>/<name>`); nothing else is served, and the file is read from the
/// recorded folder (the task run's, or `_inputs/<input>/` of the execution's) without following a symbolic link. A
/// file whose size or CRC32C differs from what the ledger recorded when it was downloaded (or received) is refused
/// (409): it changed on disk since.
///
/// A file the ledger lists that is not on this machine's disk (another host drove the execution) is served from
/// the copy its attempt kept in the bucket (`OutputFileKept`), fetched through the execution's recorded target by
/// `keptFiles`, and refused (409) unless its size and CRC32C are the ledger's. An input file not on this machine's
/// disk (another host received it) is served the same way from the object the execution stored it as
/// (`InputFileUploaded`). Without a kept copy (or without `keptFiles`) such a file is 404, and so is every file of
/// an execution imported from another ledger.
public struct FilesAPI: APIRoutes {
    public let store: EventStore
    /// Fetches kept copies and stored input files from Cloud Storage (nil: files are served from this machine's disk
    /// only).
    public let keptFiles: (any KeptOutputSource)?

    public static let operations = [
        APIOperation("GET", "/executions/{executionId}/file"),
        APIOperation("GET", "/executions/{executionId}/file/metas"),
    ]

    /// The size of each piece read from disk and sent.
    public let pieceSize: Int

    public init(store: EventStore, keptFiles: (any KeptOutputSource)? = nil, pieceSize: Int = 256 << 10) {
        self.store = store
        self.keptFiles = keptFiles
        self.pieceSize = max(1, pieceSize)
    }

    public func respond(to call: APICall) async throws -> Response? {
        guard call.method == "GET", call.route.count >= 3, call.route[0] == "executions", call.route[2] == "file"
        else { return nil }
        switch call.route.count {
        case 3:
            return try await download(call.route[1], path: try Self.path(call.request))
        case 4 where call.route[3] == "metas":
            switch try await open(call.route[1], path: try Self.path(call.request)) {
            case .local(let file, let opened):
                try check(file, opened, digest: false)
                return try .kestra(Kestra.FileMetas(size: opened.size))
            case .kept(_, let kept):
                return try .kestra(Kestra.FileMetas(size: kept.size))
            }
        default:
            return nil
        }
    }

    /// The `path` parameter: a `kestra:///` URI.
    static func path(_ request: APIRequest) throws -> String {
        guard let path = request["path"], !path.isEmpty else {
            throw APIError.badRequest(
                "give path=kestra:///… as the execution's outputs.outputFiles or a FILE input's value name the file")
        }
        guard path.hasPrefix("kestra:///") else {
            throw APIError.badRequest(
                "path must be a kestra:/// URI from the execution's outputs.outputFiles or a FILE input's value, not "
                    + MessageQuote.quoted(path))
        }
        return path
    }

    /// Where a recorded output file's bytes are: this machine's disk, or the copy kept in the bucket.
    enum Source {
        case local(RecordedFile, ConfinedFile)
        case kept(RecordedFile, RecordedFile.Kept)
    }

    /// The one recorded output file of execution `id` whose URI is `path`, opened (or, when it is not on this
    /// machine's disk and a kept copy can be fetched, that copy).
    func open(_ id: String, path: String) async throws -> Source {
        let store = store
        let fetches = keptFiles != nil
        return try await BlockingWork.run { () throws -> Source in
            guard ExecutionID.isValid(id) else {
                throw APIError.notFound("no execution \(MessageQuote.quoted(id))")
            }
            let files = try RecordedFile.files(of: id, in: store).filter { $0.uri == path }
            if try store.importOrigin(of: id) != nil {
                throw APIError.notFound(
                    "execution \(MessageQuote.quoted(id)) was imported from another ledger: its output files are not "
                        + "on this machine")
            }
            guard let file = files.first else {
                throw APIError.notFound(
                    "execution \(MessageQuote.quoted(id)) has no file \(MessageQuote.quoted(path)): use a URI from its "
                        + "outputs.outputFiles or a FILE input's value")
            }
            guard files.count == 1 else {
                throw APIError(status: 409, "\(MessageQuote.quoted(path)) names \(files.count) files")
            }
            do throws(ConfinedFile.Refusal) {
                return .local(file, try ConfinedFile(file.name, in: file.folder))
            } catch .missing {
                if fetches, let kept = file.kept { return .kept(file, kept) }
                throw APIError.notFound(
                    "\(file.described) is in the ledger but no longer on disk"
                        + (file.input == nil ? "" : ", and the ledger records no copy of it in the bucket"))
            } catch .notARegularFile {
                throw APIError(
                    status: 403,
                    "\(file.described) is not a regular file inside its folder (a symbolic link, or a link on the "
                        + "way): it is not served")
            } catch .system(let code) {
                throw APIError(
                    status: 500,
                    "\(file.described) cannot be read: \(String(cString: strerror(code)))")
            }
        }
    }

    /// Refuses a file that changed since the ledger recorded it: another size, or (with `digest`) another CRC32C.
    func check(_ file: RecordedFile, _ opened: ConfinedFile, digest: Bool) throws {
        if let size = file.size, size != opened.size {
            throw Self.changed(file, "it has \(opened.size) bytes, the ledger recorded \(size)")
        }
        if digest, let crc32c = file.crc32c {
            let found: String
            do {
                found = try opened.crc32c()
            } catch {
                throw APIError(status: 500, "\(file.described) cannot be read")
            }
            if found != crc32c {
                throw Self.changed(file, "its CRC32C is \(found), the ledger recorded \(crc32c)")
            }
        }
    }

    static func changed(_ file: RecordedFile, _ detail: String) -> APIError {
        APIError(
            status: 409,
            "\(file.described) changed on disk since the ledger recorded it (\(detail)): it is not served")
    }

    /// The file's bytes, after its size and CRC32C were checked; read again piece by piece as the client takes
    /// them, and the download broken off (no complete response) if what was read differs from what was checked.
    func download(_ id: String, path: String) async throws -> Response {
        let file: RecordedFile
        let opened: ConfinedFile
        switch try await open(id, path: path) {
        case .local(let recorded, let local):
            (file, opened) = (recorded, local)
            try await BlockingWork.run { [self] in try check(file, opened, digest: true) }
        case .kept(let recorded, let kept):
            (file, opened) = (recorded, try await fetch(recorded, kept))
        }
        let pieceSize = pieceSize
        let size = opened.size
        let headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .contentDisposition: "attachment; filename=\"\(file.downloadName)\"",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: Int(size)) { writer in
                var offset: Int64 = 0
                var crc = CRC32C()
                while offset < size {
                    let (from, count) = (offset, Int(min(Int64(pieceSize), size - offset)))
                    let piece = try await BlockingWork.run { try opened.read(at: from, count: count) }
                    guard !piece.isEmpty else { break }
                    crc.update(piece)
                    try await writer.write(ByteBuffer(bytes: piece))
                    offset += Int64(piece.count)
                }
                guard offset == size, file.crc32c == nil || crc.base64 == file.crc32c else {
                    throw Self.changed(file, "it changed while it was sent")
                }
                try await writer.finish(nil)
            })
    }

    /// Fetches the kept copy into a private scratch folder and opens it, after its size and CRC32C were checked
    /// against the ledger's (409 when they differ: the object changed in the bucket). The scratch file is unlinked
    /// once opened; the open descriptor keeps it readable until the response is sent.
    func fetch(_ file: RecordedFile, _ kept: RecordedFile.Kept) async throws -> ConfinedFile {
        guard let keptFiles else { throw APIError.notFound("no kept copies are served here") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "batchledger-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: scratch) }
        let copy = scratch.appendingPathComponent("file")
        let shown = "gs://\(kept.bucket)/\(kept.object)"
        let fetched: DownloadedObject
        do {
            if let input = file.input {
                fetched = try await keptFiles.downloadInputFile(
                    of: kept.executionId, input: input, bucket: kept.bucket, object: kept.object, to: copy)
            } else {
                fetched = try await keptFiles.downloadKeptOutput(
                    of: kept.executionId, taskRunId: file.taskRunId, attempt: kept.attempt, bucket: kept.bucket,
                    object: kept.object, to: copy)
            }
        } catch let integrity as IntegrityError {
            throw Self.changedInBucket(file, shown, integrity.detail)
        } catch {
            throw APIError(
                status: 502,
                "\(file.described) is not on this machine's disk and its copy \(shown) could not be fetched: \(error)")
        }
        if fetched.size != kept.size {
            throw Self.changedInBucket(file, shown, "it has \(fetched.size) bytes, the ledger recorded \(kept.size)")
        }
        if CRC32C.base64(fetched.crc32c) != kept.crc32c {
            throw Self.changedInBucket(
                file, shown, "its CRC32C is \(CRC32C.base64(fetched.crc32c)), the ledger recorded \(kept.crc32c)")
        }
        return try await BlockingWork.run {
            do throws(ConfinedFile.Refusal) {
                return try ConfinedFile("file", in: scratch.path)
            } catch {
                throw APIError(status: 500, "the fetched copy of \(file.described) cannot be read")
            }
        }
    }

    static func changedInBucket(_ file: RecordedFile, _ object: String, _ detail: String) -> APIError {
        APIError(
            status: 409,
            "\(file.described) changed in \(object) since the ledger recorded it (\(detail)): it is not served")
    }
}

/// Fetches an output file an attempt kept in Cloud Storage (`OutputFileKept`), or a FILE input's file an execution
/// stored there (`InputFileUploaded`), for a host whose disk does not hold it: `Engine` does, through the
/// execution's recorded target.
public protocol KeptOutputSource: Sendable {
    /// Downloads the kept object into `file`, checking the CRC32C the store reports.
    func downloadKeptOutput(
        of executionId: String, taskRunId: String, attempt: Int, bucket: String, object: String, to file: URL
    ) async throws -> DownloadedObject

    /// Downloads the stored input file into `file`, checking the CRC32C the store reports.
    func downloadInputFile(
        of executionId: String, input: String, bucket: String, object: String, to file: URL
    ) async throws -> DownloadedObject
}

extension Engine: KeptOutputSource {}
