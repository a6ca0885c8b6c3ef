import Foundation
import Testing

/// FILE inputs: the file given on the command line (`--input NAME=@PATH`) or as a multipart file part reaches the
/// job through `inputFiles` or `commands`, is kept under the execution and stored in the task runner's bucket,
/// and every step is recorded.
@Suite("FILE inputs reach the job and are recorded", .serialized)
struct FileInputTests {
    /// The second example of Kestra's Google Batch task runner page, byte for byte but for the bucket: the page's
    /// `myBucket` is not a bucket name Cloud Storage accepts (names are lowercase), on Google as on LocalCloud.
    static func pluginExample(_ cli: CLI) throws -> String {
        let text = try String(contentsOfFile: CLI.fixture("plugin_file_input.yaml"), encoding: .utf8)
        let path = cli.folder.appendingPathComponent("plugin_file_input.yaml").path
        try Data(text.replacingOccurrences(of: "\"myBucket\"", with: "\"mybucket\"").utf8).write(
            to: URL(fileURLWithPath: path))
        return path
    }

    func dataFile(_ cli: CLI, _ text: String = "rows from a file\nsecond line\n") throws -> String {
        let path = cli.folder.appendingPathComponent("data.txt").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("the plugin page's FILE example runs end to end on LocalCloud and replays")
    func pluginExample() throws {
        let cli = try CLI()
        let data = try dataFile(cli)
        let (result, report) = try cli.runLocal(try Self.pluginExample(cli), ["--input", "file=@\(data)"])
        #expect(result.status == 0, "\(result.stderr)")
        let task = try #require(report?.tasks.first)
        #expect(task.state == "SUCCEEDED")
        let out = try #require(task.outputFiles["out.txt"])
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "rows from a file\nsecond line\n")
        let id = try #require(report?.executionId)
        let events = try cli.run(["events", id, "--json", "--ledger", cli.ledger]).stdout
        #expect(events.contains("\"InputFileUploadRequested\"") && events.contains("\"InputFileUploaded\""))
        let uri = "kestra:///company/team/new_shell_with_file/executions/\(id)/inputs/file/data.txt"
        #expect(events.contains(uri), "\(events)")
        let copy = cli.folder.appendingPathComponent("outputs/\(id)/_inputs/file/data.txt").path
        #expect(FileManager.default.contents(atPath: copy) == FileManager.default.contents(atPath: data))
        let check = try cli.run(
            ["replay", id, "--check", "--secrets-file", CLI.sample("local.env"), "--ledger", cli.ledger])
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(try cli.run(["verify", "--ledger", cli.ledger]).status == 0)
    }

    @Test("the page's example as written is refused at the bucket, saying which name to write")
    func pluginExampleVerbatim() throws {
        let cli = try CLI()
        let data = try dataFile(cli)
        let result = try cli.run(
            [
                "run", CLI.fixture("plugin_file_input.yaml"), "--local", "--secrets-file", CLI.sample("local.env"),
                "--input", "file=@\(data)",
            ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("plugin_file_input.yaml:25:15: bucket 'myBucket'"), "\(result.stderr)")
        #expect(result.stderr.contains("write 'mybucket'"), "\(result.stderr)")
    }

    @Test(
        "a FILE input's path is checked before anything starts",
        arguments: [
            ("file=@missing.txt", "--input file=@missing.txt: no such file"),
            ("file=@.", "not a regular file"),
            ("file=@", "give the file's path after @"),
            ("file=plain text", "file is a FILE input; give a file: --input file=@PATH"),
        ])
    func badPaths(argument: String, message: String) throws {
        let cli = try CLI()
        let result = try cli.run(
            [
                "run", try Self.pluginExample(cli), "--local", "--secrets-file", CLI.sample("local.env"), "--input",
                argument,
            ])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try cli.run(["executions", "--ledger", cli.ledger]).stdout.isEmpty)
    }

    @Test("an unreadable file is refused by name")
    func unreadable() throws {
        guard getuid() != 0 else { return }  // root reads everything
        let cli = try CLI()
        let data = try dataFile(cli)
        chmod(data, 0)
        let result = try cli.run(
            [
                "run", try Self.pluginExample(cli), "--local", "--secrets-file", CLI.sample("local.env"), "--input",
                "file=@\(data)",
            ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("not readable by this user"), "\(result.stderr)")
    }

    @Test("a crash after any event of a FILE input's run recovers into one stored object and one job")
    func crashAtEveryEvent() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let data = try dataFile(cli)
        let flow = try Self.pluginExample(cli)
        for crashAfter in 1...4 {
            let ledger = cli.folder.appendingPathComponent("crash-\(crashAfter).ledger").path
            let crashed = try cli.run(
                [
                    "run", flow, "--endpoint", emulator.endpoint, "--secrets-file", CLI.sample("local.env"), "--input",
                    "file=@\(data)",
                    "--ledger", ledger,
                ],
                environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": "\(crashAfter)"])
            #expect(crashed.status == 137, "crash after \(crashAfter): \(crashed.stderr)")
            let recovered = try cli.run(
                ["recover", "--secrets-file", CLI.sample("local.env"), "--ledger", ledger, "--json"])
            #expect(recovered.status == 0, "crash after \(crashAfter): \(recovered.stdout) \(recovered.stderr)")
            let audit = try cli.run(["audit", "--json", "--ledger", ledger]).stdout
            let types = audit.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
            }
            #expect(types.filter { $0 == "InputFileUploaded" }.count == 1, "crash after \(crashAfter): \(types)")
            #expect(types.filter { $0 == "JobCreated" }.count == 1, "crash after \(crashAfter): \(types)")
            #expect(types.last == "ExecutionFinished", "crash after \(crashAfter): \(types)")
            #expect(audit.contains("\"state\":\"SUCCEEDED\""), "crash after \(crashAfter)")
        }
    }
}

/// Another host recovers an execution whose FILE input's copy its disk does not hold: the copy is restored from the
/// bucket when the receiving host stored it, and the execution fails at once, saying why, when it did not.
@Suite("FILE inputs recovered on another host", .serialized)
struct FileInputTakeoverTests {
    private func types(_ cli: CLI, _ ledger: String) throws -> [String] {
        try cli.run(["audit", "--json", "--ledger", ledger]).stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
        }
    }

    @Test("stored before the crash: restored from the bucket, and the job gets the same bytes")
    func restored() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let content = "rows from a file\nsecond line\n"
        let data = cli.folder.appendingPathComponent("data.txt")
        try Data(content.utf8).write(to: data)
        let receiver = cli.folder.appendingPathComponent("receiver")
        let ledger = cli.folder.appendingPathComponent("takeover.ledger").path
        // ExecutionStarted, InputFileUploadRequested, InputFileUploaded, then the receiving host dies.
        let crashed = try cli.run(
            [
                "run", try FileInputTests.pluginExample(cli), "--endpoint", emulator.endpoint, "--secrets-file",
                CLI.sample("local.env"), "--input", "file=@\(data.path)", "--ledger", ledger, "--output-dir",
                receiver.path,
            ],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": "3"])
        #expect(crashed.status == 137, "\(crashed.stderr)")
        #expect(try types(cli, ledger) == ["ExecutionStarted", "InputFileUploadRequested", "InputFileUploaded"])
        try FileManager.default.removeItem(at: receiver)

        let recovered = try cli.run(
            ["recover", "--secrets-file", CLI.sample("local.env"), "--ledger", ledger, "--json"])
        #expect(recovered.status == 0, "\(recovered.stdout) \(recovered.stderr)")
        #expect(
            (recovered.stdout + recovered.stderr).contains("restored from gs://mybucket/"), "\(recovered.stderr)")
        let restored = try FileManager.default.contentsOfDirectory(
            at: receiver, includingPropertiesForKeys: nil
        ).first.map { $0.appendingPathComponent("_inputs/file/data.txt") }
        #expect(restored.flatMap { FileManager.default.contents(atPath: $0.path) } == Data(content.utf8))
        let outputs = try FileManager.default.subpathsOfDirectory(atPath: receiver.path)
        let out = try #require(outputs.first { $0.hasSuffix("out.txt") }, "\(outputs)")
        #expect(
            FileManager.default.contents(atPath: receiver.appendingPathComponent(out).path) == Data(content.utf8))
        #expect(try types(cli, ledger).filter { $0 == "InputFileUploaded" }.count == 1)
    }

    @Test("never stored: the execution fails at once, naming the input, the host that had it and what to do")
    func lost() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let data = cli.folder.appendingPathComponent("data.txt")
        try Data("rows\n".utf8).write(to: data)
        let receiver = cli.folder.appendingPathComponent("receiver")
        let ledger = cli.folder.appendingPathComponent("lost.ledger").path
        let crashed = try cli.run(
            [
                "run", try FileInputTests.pluginExample(cli), "--endpoint", emulator.endpoint, "--secrets-file",
                CLI.sample("local.env"), "--input", "file=@\(data.path)", "--ledger", ledger, "--output-dir",
                receiver.path,
            ],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": "1"])
        #expect(crashed.status == 137, "\(crashed.stderr)")
        try FileManager.default.removeItem(at: receiver)

        let recovered = try cli.run(
            ["recover", "--secrets-file", CLI.sample("local.env"), "--ledger", ledger])
        #expect(recovered.status != 0)
        let said = recovered.stdout + recovered.stderr
        #expect(said.contains("input file: the file 'data.txt'"), "\(said)")
        #expect(said.contains("received by host \(ProcessInfo.processInfo.hostName)"), "\(said)")
        #expect(said.contains("start a new execution of company.team/new_shell_with_file"), "\(said)")
        let audit = try cli.run(["audit", "--json", "--ledger", ledger]).stdout
        #expect(audit.contains("\"state\":\"FAILED\""), "\(audit)")
        #expect(try types(cli, ledger).last == "RecoveryFailed")
        // Nothing is left for the next recover.
        let again = try cli.run(["recover", "--secrets-file", CLI.sample("local.env"), "--ledger", ledger])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!(again.stdout + again.stderr).contains("input file"), "\(again.stdout) \(again.stderr)")
    }
}

/// A multipart/form-data body with one file part.
func fileForm(input: String, filename: String, content: Data) -> (Data, String) {
    let boundary = "----batchledger-\(UUID().uuidString)"
    var body = Data(
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(input)\"; filename=\"\(filename)\"\r\n".utf8)
    body += Data("Content-Type: text/plain\r\n\r\n".utf8) + content + Data("\r\n--\(boundary)--\r\n".utf8)
    return (body, "multipart/form-data; boundary=\(boundary)")
}

@Suite("serve: FILE inputs as multipart file parts", .serialized)
struct ServeFileInputTests {
    @Test("a file part runs the plugin page's example; a file name that is a path or holds a NUL is refused")
    func fileParts() throws {
        let cli = try CLI()
        let serve = try Serve(cli)
        let flow = try String(contentsOfFile: try FileInputTests.pluginExample(cli), encoding: .utf8)
        #expect(serve.yaml("POST", "/api/v1/main/flows", flow).status == 200)
        let (body, type) = fileForm(input: "file", filename: "data.txt", content: Data("from a form\n".utf8))
        let created = serve.call(
            "POST", "/api/v1/main/executions/company.team/new_shell_with_file?wait=true", body: body,
            contentType: type)
        #expect(created.status == 200, "\(created.text)")
        #expect((created.object["state"] as? [String: Any])?["current"] as? String == "SUCCESS", "\(created.text)")
        let id = try #require(created.object["id"] as? String)
        let inputs = created.object["inputs"] as? [String: Any]
        #expect(
            inputs?["file"] as? String
                == "kestra:///company/team/new_shell_with_file/executions/\(id)/inputs/file/data.txt")
        let shown = try cli.run(["show", id, "--json", "--ledger", cli.ledger]).stdout
        let out = try #require(
            (try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any]).flatMap {
                (($0["tasks"] as? [[String: Any]])?.first?["outputFiles"] as? [String: Any])?["out.txt"] as? String
            })
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "from a form\n")

        let before = try cli.run(["audit", "--json", "--ledger", cli.ledger]).stdout
        for hostile in ["../escape.txt", "a/b.txt", "..", "nul\u{0}.txt", "back\\slash", ""] {
            let (body, type) = fileForm(input: "file", filename: hostile, content: Data("x".utf8))
            let refused = serve.call(
                "POST", "/api/v1/main/executions/company.team/new_shell_with_file", body: body, contentType: type)
            #expect([400, 422].contains(refused.status), "\(hostile.debugDescription): \(refused.text)")
            #expect(refused.object["message"] is String)
        }
        let (textBody, textType) = Serve.form([("file", "not a file")])
        let text = serve.call(
            "POST", "/api/v1/main/executions/company.team/new_shell_with_file", body: textBody,
            contentType: textType)
        #expect(text.status == 422, "\(text.text)")
        #expect(try cli.run(["audit", "--json", "--ledger", cli.ledger]).stdout == before)
        serve.stop()
    }
}
