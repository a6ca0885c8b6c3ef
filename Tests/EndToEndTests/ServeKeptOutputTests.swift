import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Flow company.team/report: one task writing `report.txt` into its output directory.
private let reportFlow = """
    id: report
    namespace: company.team
    tasks:
      - id: write
        type: io.kestra.plugin.scripts.shell.Commands
        outputDirectory: true
        taskRunner:
          type: io.kestra.plugin.ee.gcp.runner.Batch
          projectId: local-project
          region: europe-west9
          bucket: batchledger-local
        commands:
          - printf 'quarterly numbers\\n' > {{ outputDir }}/report.txt
    """

@Suite("batchledger serve: output files kept in the bucket, served on any host", .serialized)
struct ServeKeptOutputTests {
    /// Sends `body` to the emulator as a new version of `object` (a plain media upload, no precondition).
    private func overwrite(_ emulator: Emulator, bucket: String, object: String, with body: Data) -> Int {
        let name = object.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? object
        var request = URLRequest(
            url: URL(string: emulator.endpoint + "/upload/storage/v1/b/\(bucket)/o?uploadType=media&name=\(name)")!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        let semaphore = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var status = 0 }
        let box = Box()
        URLSession.shared.dataTask(with: request) { _, response, _ in
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            semaphore.signal()
        }.resume()
        semaphore.wait()
        return box.status
    }

    @Test(
        "a file no longer on this host's disk is served from its kept copy in the bucket; a changed copy is refused")
    func keptCopy() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let serve = try Serve(cli, backend: ["--endpoint", emulator.endpoint])
        defer { serve.stop() }
        #expect(serve.yaml("POST", "/api/v1/main/flows", reportFlow).status == 200)
        let created = serve.call("POST", "/api/v1/main/executions/company.team/report?wait=true")
        let id = try #require(created.object["id"] as? String, "\(created.text)")
        let execution = serve.waitFor(id, ["SUCCESS", "FAILED", "KILLED", "WARNING"])
        let runs = execution["taskRunList"] as? [[String: Any]] ?? []
        let outputs = (runs.first?["outputs"] as? [String: Any])?["outputFiles"] as? [String: Any]
        let uri = try #require(outputs?["report.txt"] as? String, "\(execution)")
        let path =
            "/api/v1/main/executions/\(id)/file?path="
            + (uri.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? uri)
        let expected = Data("quarterly numbers\n".utf8)

        let local = serve.call("GET", path)
        #expect(local.status == 200 && local.data == expected, "\(local.status) \(local.text)")

        // Another host: the ledger lists the file, this disk does not hold it.
        try FileManager.default.removeItem(at: cli.folder.appendingPathComponent("outputs"))
        let fromBucket = serve.call("GET", path)
        #expect(fromBucket.status == 200 && fromBucket.data == expected, "\(fromBucket.status) \(fromBucket.text)")

        let kept = try cli.run(["audit", "--type", "OutputFileKept", "--json", "--ledger", cli.ledger]).stdout
        let line = try #require(kept.split(separator: "\n").first, "no OutputFileKept: \(kept)")
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let payload = try #require(event["payload"] as? [String: Any], "\(event)")
        let object = try #require(payload["object"] as? String)
        #expect(object == "kestra-outputs/\(id)/write/1/report.txt")
        let cleaned = try cli.run(["audit", "--type", "StagingCleaned", "--json", "--ledger", cli.ledger]).stdout
        #expect(!cleaned.isEmpty, "the staging folder was cleaned, the kept copy stayed")

        // The same number of bytes, other bytes: only the CRC32C tells.
        #expect(
            overwrite(emulator, bucket: "batchledger-local", object: object, with: Data("QUARTERLY NUMBERS\n".utf8))
                == 200)
        let tampered = serve.call("GET", path)
        #expect(tampered.status == 409, "\(tampered.status) \(tampered.text)")
        #expect(tampered.text.contains("changed in gs://batchledger-local/\(object)"), "\(tampered.text)")
        #expect(!tampered.text.contains("QUARTERLY"))
    }
}

/// The kept copy survives a crash at each event from the download to the staging cleanup: recovery keeps a file
/// downloaded but not yet kept (from the staging object when the local file is gone), and keeps nothing twice.
@Suite("kept output files across a crash and recovery", .serialized)
struct KeptOutputRecoveryTests {
    private func events(_ cli: CLI, _ type: String) throws -> [[String: Any]] {
        let text = try cli.run(["audit", "--type", type, "--json", "--ledger", cli.ledger]).stdout
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    private func media(_ emulator: Emulator, _ object: String) -> Data? {
        let name = object.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? object
        let url = URL(string: emulator.endpoint + "/download/storage/v1/b/batchledger-local/o/\(name)?alt=media")!
        let semaphore = DispatchSemaphore(value: 0)
        let box = Emulator.Box()
        URLSession.shared.dataTask(with: url) { data, response, _ in
            box.data = (response as? HTTPURLResponse)?.statusCode == 200 ? data : nil
            semaphore.signal()
        }.resume()
        semaphore.wait()
        return box.data
    }

    @Test("a crash after each event from OutputFileDownloaded to StagingCleaned: recover keeps the file once")
    func crashAtEveryEvent() throws {
        // A run without a crash tells which events these are (the stream's versions).
        let probe = try CLI()
        let probeEmulator = try Emulator(probe)
        let flow = try probe.writeFlow("report.yaml", reportFlow)
        let clean = try probe.run(["run", flow, "--endpoint", probeEmulator.endpoint])
        #expect(clean.status == 0, "\(clean.stderr)")
        let first = try #require(try events(probe, "OutputFileDownloaded").first?["version"] as? Int)
        let last = try #require(try events(probe, "StagingCleaned").first?["version"] as? Int)
        #expect(try events(probe, "OutputFileKept").count == 1)
        #expect(first < last)

        for crashAfter in first..<last {
            let cli = try CLI()
            let emulator = try Emulator(cli)
            let path = try cli.writeFlow("report.yaml", reportFlow)
            let crashed = try cli.run(
                ["run", path, "--endpoint", emulator.endpoint],
                environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": String(crashAfter)])
            #expect(crashed.status == 137, "after event \(crashAfter): \(crashed.stderr)")
            // Another host recovers: the downloaded file is not on its disk.
            try? FileManager.default.removeItem(at: cli.folder.appendingPathComponent("outputs"))
            let recovered = try cli.run(["recover"])
            #expect(recovered.status == 0, "after event \(crashAfter): \(recovered.stderr)")
            let kept = try events(cli, "OutputFileKept")
            #expect(kept.count == 1, "after event \(crashAfter): \(kept)")
            let object = try #require((kept.first?["payload"] as? [String: Any])?["object"] as? String)
            #expect(media(emulator, object) == Data("quarterly numbers\n".utf8), "after event \(crashAfter)")
            #expect(try events(cli, "StagingCleaned").count == 1, "after event \(crashAfter)")
        }
    }
}
