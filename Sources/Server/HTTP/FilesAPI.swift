import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore
import Primitives

/// Kestra's routes for an execution's files, over the output files the ledger lists:
///
/// - `GET executions/{id}/file?path=kestra:///…`: the file's bytes (`application/octet-stream`, as an attachment
///   with a safe file name), streamed from disk.
/// - `GET executions/{id}/file/metas?path=kestra:///…`: Kestra's `FileMetas`, `{"size": N}`.
///
/// `path` must be one of the execution's `outputs.outputFiles` URIs; nothing else is served, and the file is read
/// from the task run's recorded output folder without following a symbolic link. A file whose size or CRC32C
/// differs from what the ledger recorded when it was downloaded is refused (409): it changed on disk since. A file
/// the ledger lists that is no longer on disk is 404, and so is every file of an execution imported from another
/// ledger (its files are on another machine).
public struct FilesAPI: APIRoutes {
    public let store: EventStore

    public static let operations = [
        APIOperation("GET", "/executions/{executionId}/file"),
        APIOperation("GET", "/executions/{executionId}/file/metas"),
    ]

    /// The size of each piece read from disk and sent.
    public let pieceSize: Int

    public init(store: EventStore, pieceSize: Int = 256 << 10) {
        self.store = store
        self.pieceSize = max(1, pieceSize)
    }

    public func respond(to call: APICall) async throws -> Response? {
        guard call.method == "GET", call.route.count >= 3, call.route[0] == "executions", call.route[2] == "file"
        else { return nil }
        switch call.route.count {
        case 3:
            return try await download(call.route[1], path: try Self.path(call.request))
        case 4 where call.route[3] == "metas":
            let (file, opened) = try await open(call.route[1], path: try Self.path(call.request))
            try check(file, opened, digest: false)
            return try .kestra(Kestra.FileMetas(size: opened.size))
        default:
            return nil
        }
    }

    /// The `path` parameter: a `kestra:///` URI.
    static func path(_ request: APIRequest) throws -> String {
        guard let path = request["path"], !path.isEmpty else {
            throw APIError.badRequest("give path=kestra:///… as the execution's outputs.outputFiles name the file")
        }
        guard path.hasPrefix("kestra:///") else {
            throw APIError.badRequest(
                "path must be a kestra:/// URI from the execution's outputs.outputFiles, not \(MessageQuote.quoted(path))"
            )
        }
        return path
    }

    /// The one recorded output file of execution `id` whose URI is `path`, opened.
    func open(_ id: String, path: String) async throws -> (RecordedOutputFile, ConfinedFile) {
        let store = store
        return try await BlockingWork.run {
            guard ExecutionID.isValid(id) else {
                throw APIError.notFound("no execution \(MessageQuote.quoted(id))")
            }
            let files = try RecordedOutputFile.files(of: id, in: store).filter { $0.uri == path }
            if try store.importOrigin(of: id) != nil {
                throw APIError.notFound(
                    "execution \(MessageQuote.quoted(id)) was imported from another ledger: its output files are not "
                        + "on this machine")
            }
            guard let file = files.first else {
                throw APIError.notFound(
                    "execution \(MessageQuote.quoted(id)) has no output file \(MessageQuote.quoted(path)): use a URI "
                        + "from its outputs.outputFiles")
            }
            guard files.count == 1 else {
                throw APIError(status: 409, "\(MessageQuote.quoted(path)) names \(files.count) output files")
            }
            do throws(ConfinedFile.Refusal) {
                return (file, try ConfinedFile(file.name, in: file.folder))
            } catch .missing {
                throw APIError.notFound(
                    "the output file \(MessageQuote.quoted(file.name)) of task run \(MessageQuote.quoted(file.taskRunId)) "
                        + "is in the ledger but no longer on disk")
            } catch .notARegularFile {
                throw APIError(
                    status: 403,
                    "the output file \(MessageQuote.quoted(file.name)) is not a regular file inside its task run's "
                        + "folder (a symbolic link, or a link on the way): it is not served")
            } catch .system(let code) {
                throw APIError(
                    status: 500,
                    "the output file \(MessageQuote.quoted(file.name)) cannot be read: \(String(cString: strerror(code)))"
                )
            }
        }
    }

    /// Refuses a file that changed since the ledger recorded it: another size, or (with `digest`) another CRC32C.
    func check(_ file: RecordedOutputFile, _ opened: ConfinedFile, digest: Bool) throws {
        if let size = file.size, size != opened.size {
            throw Self.changed(file, "it has \(opened.size) bytes, the ledger recorded \(size)")
        }
        if digest, let crc32c = file.crc32c {
            let found: String
            do {
                found = try opened.crc32c()
            } catch {
                throw APIError(status: 500, "the output file \(MessageQuote.quoted(file.name)) cannot be read")
            }
            if found != crc32c {
                throw Self.changed(file, "its CRC32C is \(found), the ledger recorded \(crc32c)")
            }
        }
    }

    static func changed(_ file: RecordedOutputFile, _ detail: String) -> APIError {
        APIError(
            status: 409,
            "the output file \(MessageQuote.quoted(file.name)) of task run \(MessageQuote.quoted(file.taskRunId)) "
                + "changed on disk since the ledger recorded it (\(detail)): it is not served")
    }

    /// The file's bytes, after its size and CRC32C were checked; read again piece by piece as the client takes
    /// them, and the download broken off (no complete response) if what was read differs from what was checked.
    func download(_ id: String, path: String) async throws -> Response {
        let (file, opened) = try await open(id, path: path)
        try await BlockingWork.run { [self] in try check(file, opened, digest: true) }
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
}
