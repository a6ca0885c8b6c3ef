import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Server
import Testing

@testable import Engine

/// A bucket in memory: object name → bytes, and the objects asked for.
final class MemoryKeptFiles: KeptOutputSource, @unchecked Sendable {
    private let lock = NSLock()
    private var objects: [String: Data] = [:]
    private(set) var asked: [String] = []

    func put(_ bucket: String, _ object: String, _ data: Data) {
        lock.withLock { objects["\(bucket)/\(object)"] = data }
    }

    func downloadKeptOutput(
        of executionId: String, taskRunId: String, attempt: Int, bucket: String, object: String, to file: URL
    ) async throws -> DownloadedObject {
        let data: Data? = lock.withLock {
            asked.append("\(executionId) \(taskRunId) #\(attempt) gs://\(bucket)/\(object)")
            return objects["\(bucket)/\(object)"]
        }
        guard let data else { throw EngineError.configuration("gs://\(bucket)/\(object) does not exist") }
        try data.write(to: file)
        return DownloadedObject(size: Int64(data.count), crc32c: CRC32C.checksum(data))
    }

    func downloadInputFile(
        of executionId: String, input: String, bucket: String, object: String, to file: URL
    ) async throws -> DownloadedObject {
        try await downloadKeptOutput(
            of: executionId, taskRunId: "", attempt: 0, bucket: bucket, object: object, to: file)
    }
}

@Suite("Output files not on this host's disk: served from the copy kept in the bucket")
struct KeptFilesAPITests {
    let ledger: FilesLedger
    let bucket = MemoryKeptFiles()
    let server: KestraServer

    init() throws {
        ledger = try FilesLedger()
        var events: [ExecutionEvent] = []
        for file in FilesLedger.files where file.run == "t" {
            let data = Data(file.content.utf8)
            let object = KeptOutput.objectName(executionId: "exec-f", taskRunId: file.run, attempt: 1, name: file.name)!
            events.append(
                .outputFileKept(
                    OutputFileKept(
                        taskRunId: file.run, attempt: 1, name: file.name, bucket: "b", object: object, generation: 1,
                        size: Int64(data.count), crc32c: CRC32C.base64(CRC32C.checksum(data)))))
            bucket.put("b", object, data)
        }
        // Appended after the execution's end, as a test shortcut: the fold takes them all the same.
        try ledger.store.append(events.map { try $0.encoded() }, to: "exec-f")
        server = KestraServer(
            responder: KestraResponder(routes: [FilesAPI(store: ledger.store, keptFiles: bucket)], tokens: nil))
    }

    func fileURI(_ uri: String, metas: Bool = false) -> String {
        let query = uri.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? uri
        return "/api/v1/main/executions/exec-f/file\(metas ? "/metas" : "")?path=\(query)"
    }

    @Test("a file gone from disk is served from its kept copy, with its metas; on disk, the disk's file is served")
    func servedFromBucket() async throws {
        let onDisk = try await ask(server, fileURI(try ledger.uri("t", "result.json")))
        #expect(onDisk.status == .ok && onDisk.text == "{\"answer\": 42}\n")
        #expect(bucket.asked.isEmpty)

        try FileManager.default.removeItem(at: ledger.output)
        let answer = try await ask(server, fileURI(try ledger.uri("t", "sub/deep.txt")))
        #expect(answer.status == .ok, "\(answer.text)")
        #expect(answer.text == "deep down\n")
        #expect(answer.headers[.contentDisposition] == "attachment; filename=\"deep.txt\"")
        #expect(bucket.asked == ["exec-f t #1 gs://b/kestra-outputs/exec-f/t/1/sub/deep.txt"])
        let metas = try await ask(server, fileURI(try ledger.uri("t", "sub/deep.txt"), metas: true))
        #expect(metas.status == .ok && (metas.json as? [String: Any])?["size"] as? Int == 10)
    }

    @Test("a kept copy whose bytes differ from the ledger's is refused (409), never sent")
    func tampered() async throws {
        try FileManager.default.removeItem(at: ledger.output)
        let object = KeptOutput.objectName(executionId: "exec-f", taskRunId: "t", attempt: 1, name: "result.json")!
        bucket.put("b", object, Data("{\"answer\": 43}\n".utf8))
        let answer = try await ask(server, fileURI(try ledger.uri("t", "result.json")))
        #expect(answer.status.code == 409, "\(answer.text)")
        #expect(answer.text.contains("changed in gs://b/\(object)"))
        #expect(!answer.text.contains("43"))
        bucket.put("b", object, Data("short".utf8))
        #expect(try await ask(server, fileURI(try ledger.uri("t", "result.json"))).status.code == 409)
    }

    @Test(
        "a file without a kept copy (fe[a]) and gone from disk stays 404; without a source, kept copies are not fetched"
    )
    func notKept() async throws {
        try FileManager.default.removeItem(at: ledger.output)
        let answer = try await ask(server, fileURI(try ledger.uri("fe[a]", "a.txt")))
        #expect(answer.status == .notFound && answer.text.contains("no longer on disk"))
        let diskOnly = KestraServer(
            responder: KestraResponder(routes: [FilesAPI(store: ledger.store)], tokens: nil))
        #expect(try await ask(diskOnly, fileURI(try ledger.uri("t", "result.json"))).status == .notFound)
        #expect(bucket.asked.isEmpty)
    }

    @Test("kept object names: under kestra-outputs, by execution, task run folder, attempt and key; unsafe keys none")
    func objectNames() {
        #expect(
            KeptOutput.objectName(executionId: "e1", taskRunId: "fe[a]", attempt: 2, name: "out/x.txt")
                == "kestra-outputs/e1/fe_a/2/out/x.txt")
        #expect(KeptOutput.objectName(executionId: "e1", taskRunId: "t", attempt: 1, name: "../x") == nil)
        #expect(KeptOutput.objectName(executionId: "e1", taskRunId: "t", attempt: 1, name: "/x") == nil)
        #expect(KeptOutput.objectName(executionId: "e/1", taskRunId: "t", attempt: 1, name: "x") == nil)
        #expect(KeptOutput.objectName(executionId: "..", taskRunId: "t", attempt: 1, name: "x") == nil)
        #expect(
            KeptOutput.objectName(
                executionId: "e1", taskRunId: "t", attempt: 1, name: String(repeating: "a/", count: 600) + "x")
                == nil)
    }
}
