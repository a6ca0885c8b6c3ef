import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Server
import Testing

@testable import Engine

/// A ledger with one finished execution, `exec-f` of `company.team/hello`, whose task runs downloaded output files
/// that are on disk under its output folder: `t` wrote `result.json` and `sub/deep.txt`, the ForEach run `fe[a]`
/// wrote `a.txt`, and `t` also wrote `we ird"name.txt`. The ledger also lists `evil`, whose recorded path is
/// outside the output folder (as a hostile import could record it).
final class FilesLedger {
    let folder: URL
    let store: EventStore
    let output: URL

    static let files: [(run: String, name: String, content: String)] = [
        ("t", "result.json", "{\"answer\": 42}\n"),
        ("t", "sub/deep.txt", "deep down\n"),
        ("t", "we ird\"name.txt", "odd name\n"),
        ("fe[a]", "a.txt", String(repeating: "abcdefghij", count: 1000)),
    ]

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("files-\(UUID().uuidString)")
        output = folder.appendingPathComponent("out/exec-f")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        store = try EventStore(path: folder.appendingPathComponent("ledger.db").path)
        guard case .executionStarted(var started) = Make.started() else { fatalError("Make.started changed") }
        started.executionId = "exec-f"
        started.outputDirectory = output.path
        var events: [ExecutionEvent] = [
            .executionStarted(started), Make.attempt("t"), Make.attempt("fe[a]", task: "fe", value: "a"),
        ]
        for file in Self.files {
            let url = path(file.run, file.name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.content.utf8).write(to: url)
            events.append(download(file.run, file.name, Data(file.content.utf8), at: url.path))
        }
        events.append(download("t", "evil", Data("x".utf8), at: "/etc/hostname"))
        events += [Make.succeeded("t"), Make.succeeded("fe[a]"), Make.finished(.succeeded)]
        try store.append(events.map { try $0.encoded() }, to: "exec-f")
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Where task run `run`'s output `name` is on disk.
    func path(_ run: String, _ name: String) -> URL {
        output.appendingPathComponent(OutputPath.folderName(forTaskRun: run)).appendingPathComponent(name)
    }

    func download(_ run: String, _ name: String, _ content: Data, at localPath: String) -> ExecutionEvent {
        .outputFileDownloaded(
            OutputFileDownloaded(
                taskRunId: run, attempt: 1, name: name, object: "b/wd1/\(name)", localPath: localPath,
                size: Int64(content.count), crc32c: CRC32C.base64(CRC32C.checksum(content))))
    }

    /// The `kestra:///` URI the execution's outputs give task run `run`'s file `name`.
    func uri(_ run: String, _ name: String) throws -> String {
        var state = ExecutionState()
        try store.readStream("exec-f") { try state.apply($0) }
        let taskRun = try #require(state.taskRun(run))
        return OutputsView.uri(state: state, run: taskRun, name: name)
    }
}

@Suite("Output files: download and metas, only what the ledger lists")
struct FilesAPITests {
    let ledger: FilesLedger
    let server: KestraServer

    init() throws {
        ledger = try FilesLedger()
        server = KestraServer(store: ledger.store, tokens: nil)
    }

    func fileURI(_ uri: String, metas: Bool = false, execution: String = "exec-f") -> String {
        let query = uri.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? uri
        return "/api/v1/main/executions/\(execution)/file\(metas ? "/metas" : "")?path=\(query)"
    }

    @Test("every output file the execution's outputs name downloads with its bytes, as an attachment")
    func downloads() async throws {
        let execution = try #require(try await ask(server, "/api/v1/main/executions/exec-f").json as? [String: Any])
        var listed: [String] = []
        for run in execution["taskRunList"] as? [[String: Any]] ?? [] {
            let files = (run["outputs"] as? [String: Any])?["outputFiles"] as? [String: String] ?? [:]
            listed += files.values
        }
        #expect(listed.count == FilesLedger.files.count + 1)
        for file in FilesLedger.files {
            let uri = try ledger.uri(file.run, file.name)
            #expect(listed.contains(uri))
            let answer = try await ask(server, fileURI(uri))
            #expect(answer.status == .ok, "\(file.name): \(answer.text)")
            #expect(answer.text == file.content, "\(file.name)")
            #expect(answer.headers[.contentType] == "application/octet-stream")
            let metas = try await ask(server, fileURI(uri, metas: true))
            #expect((metas.json as? [String: Any])?["size"] as? Int == file.content.utf8.count, "\(metas.text)")
        }
        let odd = try await ask(server, fileURI(try ledger.uri("t", "we ird\"name.txt")))
        #expect(odd.headers[.contentDisposition] == "attachment; filename=\"we_ird_name.txt\"")
        let deep = try await ask(server, fileURI(try ledger.uri("t", "sub/deep.txt")))
        #expect(deep.headers[.contentDisposition] == "attachment; filename=\"deep.txt\"")
    }

    @Test("a file larger than one piece is sent piece by piece, whole")
    func pieces() async throws {
        let small = KestraServer(
            responder: KestraResponder(routes: [FilesAPI(store: ledger.store, pieceSize: 7)], tokens: nil))
        let answer = try await ask(small, fileURI(try ledger.uri("fe[a]", "a.txt")))
        #expect(answer.status == .ok)
        #expect(answer.text == FilesLedger.files[3].content)
        #expect(answer.headers[.contentLength] == "10000")
    }

    @Test("paths the ledger does not list are 404, whatever they try: .., absolute, encoded, other schemes")
    func traversal() async throws {
        let good = try ledger.uri("t", "result.json")
        let base = String(good.dropLast("result.json".count))
        for path in [
            base + "../../../../../../../../etc/passwd", base + "sub/../result.json", base + "./result.json",
            base + "result.json/", base + "sub%2Fdeep.txt", base + "%2e%2e/result.json", base + "RESULT.JSON",
            try ledger.uri("t", "evil"), "kestra:///etc/passwd", "kestra:////etc/passwd",
        ] {
            let answer = try await ask(server, fileURI(path))
            #expect(answer.status == .notFound, "\(path): \(answer.status) \(answer.text)")
            #expect(!answer.text.contains("root:"), "\(path)")
        }
        for path in ["/etc/passwd", "file:///etc/passwd", "", "kestra://host/x"] {
            let answer = try await ask(server, fileURI(path))
            #expect(answer.status == .badRequest, "\(path): \(answer.status) \(answer.text)")
        }
        #expect(try await ask(server, "/api/v1/main/executions/exec-f/file").status == .badRequest)
        // Encoded slashes in the execution id decode inside the segment: no such execution.
        for execution in ["exec-f%2F..%2Fexec-f", "..%2Fexec-f", "nope"] {
            let answer = try await ask(server, fileURI(good, execution: execution))
            #expect(answer.status == .notFound, "\(execution): \(answer.status)")
        }
        // A URI whose slashes are encoded twice is not the URI.
        let doubled = try await ask(
            server,
            "/api/v1/main/executions/exec-f/file?path=kestra:///"
                + good.dropFirst("kestra:///".count).replacingOccurrences(of: "/", with: "%252F"))
        #expect(doubled.status == .notFound, "\(doubled.text)")
    }

    @Test("a symbolic link where a listed file or folder was is refused, never followed")
    func symbolicLinks() async throws {
        let outside = ledger.folder.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("{\"answer\": 42}\n".utf8).write(to: outside.appendingPathComponent("result.json"))
        try Data("deep down\n".utf8).write(to: outside.appendingPathComponent("deep.txt"))
        let file = ledger.path("t", "result.json")
        try FileManager.default.removeItem(at: file)
        try FileManager.default.createSymbolicLink(
            at: file, withDestinationURL: outside.appendingPathComponent("result.json"))
        let linked = try await ask(server, fileURI(try ledger.uri("t", "result.json")))
        #expect(linked.status == .forbidden, "\(linked.text)")
        #expect(linked.text.contains("symbolic link"))
        let folder = ledger.path("t", "sub")
        try FileManager.default.removeItem(at: folder)
        try FileManager.default.createSymbolicLink(at: folder, withDestinationURL: outside)
        let throughFolder = try await ask(server, fileURI(try ledger.uri("t", "sub/deep.txt")))
        #expect(throughFolder.status == .forbidden, "\(throughFolder.text)")
        #expect(try await ask(server, fileURI(try ledger.uri("t", "sub/deep.txt"), metas: true)).status == .forbidden)
    }

    @Test("a file changed on disk since the ledger recorded it is refused with 409; a missing one is 404")
    func changedAndMissing() async throws {
        let uri = try ledger.uri("t", "result.json")
        try Data("{\"answer\": 43}\n".utf8).write(to: ledger.path("t", "result.json"))  // same size
        let sameSize = try await ask(server, fileURI(uri))
        #expect(sameSize.status == .conflict, "\(sameSize.text)")
        #expect(sameSize.text.contains("CRC32C") && sameSize.text.contains("changed on disk"))
        #expect(try await ask(server, fileURI(uri, metas: true)).status == .ok)
        try Data("{}".utf8).write(to: ledger.path("t", "result.json"))
        #expect(try await ask(server, fileURI(uri)).status == .conflict)
        #expect(try await ask(server, fileURI(uri, metas: true)).status == .conflict)
        try FileManager.default.removeItem(at: ledger.path("t", "result.json"))
        let missing = try await ask(server, fileURI(uri))
        #expect(missing.status == .notFound)
        #expect(missing.text.contains("no longer on disk"), "\(missing.text)")
    }

    @Test("an execution imported from another ledger has no files on this machine")
    func imported() async throws {
        let export = ledger.folder.appendingPathComponent("exec-f.ndjson").path
        try ledger.store.exportNDJSON(ExportSelection(executions: ["exec-f"]), to: .file(export))
        let other = try EventStore(path: ledger.folder.appendingPathComponent("other.db").path)
        try other.importExport(at: export)
        let answer = try await ask(KestraServer(store: other, tokens: nil), fileURI(try ledger.uri("t", "result.json")))
        #expect(answer.status == .notFound)
        #expect(answer.text.contains("imported"), "\(answer.text)")
    }
}
