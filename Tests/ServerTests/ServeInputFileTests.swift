import Foundation
import Ledger
import Server
import Templates
import Testing

@testable import Engine

/// A flow with a FILE input whose script task (with a bucket) sits in a branch not taken: the execution stores the
/// input in the bucket and ends without a Batch job.
private let fileInputFlow = """
    id: with_file
    namespace: company.team
    inputs:
      - id: file
        type: FILE
    tasks:
      - id: check
        type: io.kestra.plugin.core.flow.If
        condition: "{{ false }}"
        then:
          - id: process
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: local-project
              region: europe-west9
              bucket: inputs-bucket
            commands:
              - cat {{ inputs.file }}
      - id: said
        type: io.kestra.plugin.core.log.Log
        message: "got {{ inputs.file }}"
    """

/// Two replicas on one ledger and one bucket, each with its own output folder: `a` receives the execution and its
/// file, `b` is asked for it.
private struct TwoReplicas {
    let folder: URL
    let store: EventStore
    let cloud = MemoryCloud()
    let a: ExecutionHost
    let b: KestraServer

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("replicas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try EventStore(path: folder.appendingPathComponent("ledger.db").path)
        a = ExecutionHost(
            engine: Engine(store: store, targets: cloud, environment: [:]), backend: MemoryCloud.backend,
            secrets: SecretStore(), outputDirectory: folder.appendingPathComponent("a"),
            storesInputFilesBeforeAnswering: true)
        let hostB = ExecutionHost(
            engine: Engine(store: store, targets: cloud, environment: [:]), backend: MemoryCloud.backend,
            secrets: SecretStore(), outputDirectory: folder.appendingPathComponent("b"))
        b = KestraServer.serving(store: store, executions: hostB, tokens: nil)
    }

    /// Starts the flow on `a` with `content` as the file, and returns the execution's id once `a` answers.
    func start(_ content: Data) async throws -> String {
        var request = StartRequest(
            flow: try LoadedFlow(FlowSource(path: "with_file.yaml", text: fileInputFlow)), inputs: [:],
            secrets: SecretStore(), backend: MemoryCloud.backend, outputDirectory: a.outputDirectory)
        request.files = ["file": InputFileSource(filename: "data.txt", content: .data(content))]
        return try await a.launch(.start(request))
    }

    func fileURI(_ id: String, _ uri: String, metas: Bool = false) -> String {
        let query = uri.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? uri
        return "/api/v1/main/executions/\(id)/file\(metas ? "/metas" : "")?path=\(query)"
    }
}

@Suite("FILE inputs' files over the API, on any replica")
struct ServeInputFileTests {
    @Test("another replica serves an input file from its disk copy, then from the bucket once the copy is gone")
    func servedFromBucket() async throws {
        let replicas = try TwoReplicas()
        defer { try? FileManager.default.removeItem(at: replicas.folder) }
        let content = Data("rows from a file\nsecond line\n".utf8)
        let id = try await replicas.start(content)
        // `a` answered once the file was stored: the ledger says so before the execution goes on.
        let stored = try #require(try replicas.store.executionState(id))
        #expect(stored.inputFilesStored == ["file"])
        let object = "company/team/with_file/executions/\(id)/inputs/file/data.txt"
        #expect(replicas.cloud.data("inputs-bucket", object) == content)
        await replicas.a.waitForEnd(of: id)
        let uri = "kestra:///\(object)"
        #expect(try replicas.store.executionState(id)?.state == .succeeded)

        let onDisk = try await ask(replicas.b, replicas.fileURI(id, uri))
        #expect(onDisk.status == .ok && onDisk.text == String(decoding: content, as: UTF8.self), "\(onDisk.text)")
        #expect(onDisk.headers[.contentDisposition] == "attachment; filename=\"data.txt\"")
        #expect(!replicas.cloud.calls.contains { $0.hasPrefix("download") })

        // The host that received the file is gone with its disk.
        try FileManager.default.removeItem(at: replicas.folder.appendingPathComponent("a"))
        let fromBucket = try await ask(replicas.b, replicas.fileURI(id, uri))
        #expect(fromBucket.status == .ok, "\(fromBucket.text)")
        #expect(fromBucket.text == String(decoding: content, as: UTF8.self))
        #expect(replicas.cloud.calls.contains("download inputs-bucket/\(object)"), "\(replicas.cloud.calls)")
        let metas = try await ask(replicas.b, replicas.fileURI(id, uri, metas: true))
        #expect(metas.status == .ok && (metas.json as? [String: Any])?["size"] as? Int == content.count)

        // The same size, other bytes: the CRC32C tells, and nothing is sent.
        var other = content
        other[0] = UInt8(ascii: "R")
        replicas.cloud.put("inputs-bucket", object, other)
        let tampered = try await ask(replicas.b, replicas.fileURI(id, uri))
        #expect(tampered.status.code == 409, "\(tampered.text)")
        #expect(tampered.text.contains("changed in gs://inputs-bucket/\(object)"), "\(tampered.text)")
        #expect(!tampered.text.contains("Rows"))
    }

    @Test("an input URI of another execution, or a path beside the input, is 404")
    func onlyListed() async throws {
        let replicas = try TwoReplicas()
        defer { try? FileManager.default.removeItem(at: replicas.folder) }
        let id = try await replicas.start(Data("x\n".utf8))
        await replicas.a.waitForEnd(of: id)
        let base = "kestra:///company/team/with_file/executions/\(id)/inputs/file/"
        for path in [
            base + "other.txt", base + "../file/data.txt",
            base.replacingOccurrences(of: id, with: "exec-x") + "data.txt",
        ] {
            let answer = try await ask(replicas.b, replicas.fileURI(id, path))
            #expect(answer.status == .notFound, "\(path): \(answer.text)")
        }
    }
}
