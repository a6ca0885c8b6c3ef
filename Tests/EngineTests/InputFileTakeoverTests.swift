import Foundation
import Ledger
import Templates
import Testing

@testable import Engine

/// A flow with a FILE input whose script task (with a bucket) sits in a branch not taken: the execution stores the
/// input in the bucket and ends without a Batch job.
let fileInputFlow = """
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

/// An execution that host `receiver` started with a FILE input and left interrupted: its copy of the file was at
/// `<receiver's folder>/<id>/_inputs/file/data.txt`, which this host's disk does not hold.
struct InterruptedWithFile {
    let folder: URL
    let store: EventStore
    let cloud = MemoryCloud()
    let id = "exec-in"
    let content = Data("rows from a file\nsecond line\n".utf8)
    let record: InputFileRecord
    let object = "company/team/with_file/executions/exec-in/inputs/file/data.txt"

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("takeover-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try EventStore(path: folder.appendingPathComponent("ledger.db").path)
        let executionFolder = folder.appendingPathComponent("receiver/outputs/\(id)")
        record = InputFileRecord(
            filename: "data.txt", uri: "kestra:///\(object)",
            localPath: executionFolder.appendingPathComponent("_inputs/file/data.txt").path,
            size: Int64(content.count), sha256: SHA256Digest.of(content).hex,
            crc32c: CRC32C.base64(CRC32C.checksum(content)), host: "receiver-host")
    }

    /// Records the start, and the upload's intent and outcome as far as `stored` says.
    func record(requested: Bool, uploaded: Bool) async throws {
        var events: [ExecutionEvent] = [
            .executionStarted(
                ExecutionStarted(
                    executionId: id, namespace: "company.team", flowId: "with_file", flowRevision: nil,
                    flowPath: "with_file.yaml", flowSource: fileInputFlow,
                    flowSHA256: SHA256Digest.of(Data(fileInputFlow.utf8)).hex,
                    inputs: ["file": .string(record.uri)], labels: [:], backend: MemoryCloud.backend,
                    outputDirectory: URL(fileURLWithPath: record.localPath).deletingLastPathComponent()
                        .deletingLastPathComponent().deletingLastPathComponent().path,
                    namespaceFilesDirectory: nil, namespaceFileDigests: [:], forkedFrom: nil, requestedBy: nil,
                    inputFiles: ["file": record]))
        ]
        if requested {
            events.append(
                .inputFileUploadRequested(
                    InputFileUploadRequested(
                        input: "file", bucket: "inputs-bucket", object: object, size: record.size,
                        crc32c: record.crc32c, sha256: record.sha256)))
        }
        if uploaded {
            events.append(
                .inputFileUploaded(
                    InputFileUploaded(
                        input: "file", object: object, generation: 1, size: record.size, crc32c: record.crc32c,
                        adopted: false)))
        }
        try await store.append(events.map { try $0.encoded() }, to: id)
    }

    /// Resumes the execution as a takeover does, collecting the engine's notices.
    func resume() async throws -> (RecoveryReport, [String]) {
        let notices = Notices()
        let engine = Engine(store: store, targets: cloud, environment: [:])
        let report = try await engine.resume(
            [id], RecoveryRequest(secrets: SecretStore()), observer: EngineObserver(notice: { notices.add($0) }))
        return (report, notices.all)
    }

    func events() throws -> [ExecutionEvent] {
        var events: [ExecutionEvent] = []
        try store.readStream(id) { events.append(try ExecutionEvent.decode($0)) }
        return events
    }
}

final class Notices: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

@Suite("FILE inputs on takeover: restored from the bucket, or a clear failure")
struct InputFileTakeoverTests {
    @Test(
        "a resumed execution whose input file is not on this host restores it from the stored object and runs on",
        arguments: [(true, true), (true, false)])
    func restored(requested: Bool, uploaded: Bool) async throws {
        // (true, false): the upload finished but its outcome was not recorded; the object is adopted first.
        let execution = try InterruptedWithFile()
        defer { try? FileManager.default.removeItem(at: execution.folder) }
        try await execution.record(requested: requested, uploaded: uploaded)
        execution.cloud.put("inputs-bucket", execution.object, execution.content)
        #expect(!FileManager.default.fileExists(atPath: execution.record.localPath))

        let (report, notices) = try await execution.resume()
        guard case .finished(let state) = try #require(report.outcomes.first).result else {
            Issue.record("not finished: \(report.outcomes)")
            return
        }
        #expect(state.state == .succeeded)
        #expect(FileManager.default.contents(atPath: execution.record.localPath) == execution.content)
        let mode = try FileManager.default.attributesOfItem(atPath: execution.record.localPath)[.posixPermissions]
        #expect((mode as? NSNumber)?.intValue == 0o600)
        #expect(
            notices.contains {
                $0.contains("restored from gs://inputs-bucket/\(execution.object)") && $0.contains("receiver-host")
            }, "\(notices)")
        let events = try execution.events()
        #expect(events.filter { if case .inputFileUploaded = $0 { true } else { false } }.count == 1)
        #expect(!execution.cloud.calls.contains { $0.hasPrefix("create") }, "nothing uploaded again")
    }

    @Test("a stored object whose bytes differ from the record is not used: the execution fails saying so")
    func changedObject() async throws {
        let execution = try InterruptedWithFile()
        defer { try? FileManager.default.removeItem(at: execution.folder) }
        try await execution.record(requested: true, uploaded: true)
        var other = execution.content
        other[0] = UInt8(ascii: "R")
        execution.cloud.put("inputs-bucket", execution.object, other)
        let (report, _) = try await execution.resume()
        guard case .failed(let failure) = try #require(report.outcomes.first).result else {
            Issue.record("not failed: \(report.outcomes)")
            return
        }
        #expect("\(failure)".contains("is not the file the ledger recorded"), "\(failure)")
        #expect(!FileManager.default.fileExists(atPath: execution.record.localPath))
        #expect(try execution.store.executionState(execution.id)?.state == .failed)
    }

    @Test("an input file that its host never stored and this host does not hold fails the execution at once, clearly")
    func lost() async throws {
        let execution = try InterruptedWithFile()
        defer { try? FileManager.default.removeItem(at: execution.folder) }
        try await execution.record(requested: false, uploaded: false)

        let (report, _) = try await execution.resume()
        guard case .failed(let failure) = try #require(report.outcomes.first).result else {
            Issue.record("not failed: \(report.outcomes)")
            return
        }
        let message = "\(failure)"
        #expect(message.contains("input file: the file 'data.txt'"), "\(message)")
        #expect(message.contains("received by host receiver-host"), "\(message)")
        #expect(message.contains("does not exist"), "\(message)")
        #expect(message.contains("start a new execution of company.team/with_file"), "\(message)")
        // Failed once and for all, not left interrupted for the next takeover to try again.
        let state = try #require(try execution.store.executionState(execution.id))
        #expect(state.state == .failed)
        let failed = try execution.events().compactMap { event -> RecoveryFailed? in
            if case .recoveryFailed(let failed) = event { return failed }
            return nil
        }
        #expect(failed.count == 1 && failed.first?.givenUp == true, "\(failed)")
        #expect(failed.first?.reason.contains("receiver-host") == true)
        #expect(
            try Engine(store: execution.store, targets: execution.cloud, environment: [:]).interruptedExecutions() == []
        )
    }
}
