import Foundation
import Testing

/// Export, verify, import, audit and the HTML page, through the built binary, on ledgers filled by real runs
/// against LocalCloud.
@Suite("batchledger export / import / verify --export / events / audit, end to end", .serialized)
struct ExportEndToEndTests {
    /// Runs `flow` in a fresh folder and returns the CLI and the execution id.
    func ran(_ flow: String, expecting status: Int32 = 0) throws -> (CLI, String) {
        let cli = try CLI()
        let (result, report) = try cli.runLocal(flow)
        #expect(result.status == status, "\(result.stderr)")
        return (cli, try #require(report?.executionId, "run printed no report: \(result.stderr)"))
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test("export → verify --export → import into another ledger → the same report, and both ledgers verify")
    func roundTrip() throws {
        let (cli, id) = try ran(CLI.sample("multi_task.yaml"))
        let second = try cli.run([
            "run", CLI.sample("failing.yaml"), "--local", "--secrets-file", CLI.sample("local.env"),
        ])
        #expect(second.status == 1)
        let export = cli.folder.appendingPathComponent("all.ndjson").path
        let exported = try cli.run(["export", "--output", export])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stderr.contains("executions"))
        let header = try #require(
            try JSONSerialization.jsonObject(with: Data(try lines(export)[0].utf8)) as? [String: Any])
        #expect(header["format"] as? String == "batchledger-export")
        #expect(header["format_version"] as? Int == 1)
        #expect((header["executions"] as? [Any])?.count == 2)

        let verified = try cli.run(["verify", "--export", export])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("global chain intact"))

        let other = cli.folder.appendingPathComponent("other.ledger").path
        let imported = try cli.run(["import", export, "--ledger", other])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported"))
        // State equal after import: the fold of the imported stream gives the same ExecutionReport.
        let before = try cli.run(["show", id, "--json"])
        let after = try cli.run(["show", id, "--json", "--ledger", other])
        #expect(before.status == 0 && after.status == 0)
        // The copy also says where it came from; the rest is the same document.
        var copy = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any])
        #expect(copy.removeValue(forKey: "importedFrom") != nil)
        let original = try #require(try JSONSerialization.jsonObject(with: Data(before.stdout.utf8)) as? [String: Any])
        #expect(NSDictionary(dictionary: copy).isEqual(to: original))
        #expect(try cli.run(["verify", "--ledger", other]).status == 0)
        #expect(try cli.run(["verify"]).status == 0)
        // Decision replay runs on the imported copy as on the original: the events are the same, only seqs moved.
        let replay = try cli.run([
            "replay", id, "--check", "--secrets-file", CLI.sample("local.env"), "--ledger", other,
        ])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.contains("all as recorded"))
        // The imported execution answers audits like a native one.
        let created = try cli.run(["audit", "--type", "JobCreated", "--ledger", other])
        #expect(created.stdout.split(separator: "\n").count == 3, "\(created.stdout)")

        let again = try cli.run(["import", export, "--ledger", other])
        #expect(again.status == 1)
        #expect(again.stderr.contains("is already in"))
    }

    @Test("tampered exports: verify --export exits 1 naming the first bad line and seq")
    func tampered() throws {
        let (cli, id) = try ran(CLI.sample("multi_task.yaml"))
        let export = cli.folder.appendingPathComponent("one.ndjson").path
        #expect(try cli.run(["export", id, "--output", export]).status == 0)
        let original = try lines(export)
        #expect(original.count >= 33, "a header and one line per event: 28 steps, and at least a poll and a log batch per task")

        func check(_ edited: [String], _ expected: String) throws {
            let path = cli.folder.appendingPathComponent("edited.ndjson").path
            try (edited.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let result = try cli.run(["verify", "--export", path])
            #expect(result.status == 1)
            #expect(result.stdout.contains(expected), "\(result.stdout)")
        }
        var payload = original
        let polled = try #require(original.firstIndex { $0.contains("\"type\":\"ExitCodeObserved\"") })
        payload[polled] = payload[polled].replacingOccurrences(of: "\"exitCode\":0", with: "\"exitCode\":1")
        try check(payload, "line \(polled + 1) (seq \(polled)): payload changed")

        var removed = original
        removed.remove(at: 10)
        try check(removed, "line 11 (seq 11): version 10 of execution \(id) is missing")

        var reordered = original
        reordered.swapAt(20, 21)
        try check(reordered, "line 21 (seq 21): version 21 of execution \(id) comes before version 20")

        let json = try cli.run(["verify", "--export", export, "--json"])
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"valid\":true"))
    }

    @Test("events and audit: the trail of one execution, and questions across executions")
    func audit() throws {
        let (cli, id) = try ran(CLI.sample("multi_task.yaml"))
        let (_, failed) = try {
            let (result, report) = try cli.runLocal(CLI.sample("failing.yaml"))
            return (result, try #require(report?.executionId))
        }()

        let trail = try cli.run(["events", id])
        let rows = trail.stdout.split(separator: "\n")
        // The number of polls varies from run to run; the trail has one line per event of the stream.
        let csv = try cli.run(["export", id, "--format", "csv"]).stdout.components(separatedBy: "\r\n")
            .filter { !$0.isEmpty }
        #expect(rows.count == csv.count - 1)
        // Polls and log batches depend on how fast the jobs ran; every other event is one per step: 13 per task
        // run, plus the execution's start and end, plus one OutputFileKept per output file (two).
        let polls = rows.filter { $0.contains(" JobPolled ") }.count
        let logBatches = rows.filter { $0.contains(" LogLinesReceived ") }.count
        #expect(rows.count - polls - logBatches == 30, "\(trail.stdout)")
        #expect(rows.filter { $0.contains(" OutputFileKept ") }.count == 2, "\(trail.stdout)")
        #expect(polls >= 2 && logBatches >= 2, "each job polled, each task's lines received: \(trail.stdout)")
        #expect(rows.last?.contains("ExecutionFinished") == true)
        #expect(rows.first?.hasPrefix("1  ") == true)
        #expect(
            rows.contains {
                $0.contains("JobCreated") && $0.contains("generate a1 job companyteam-multi-task-generate-")
            })
        #expect(rows.contains { $0.contains("FileUploaded") && $0.contains("/generate.py 387 B crc32c") })

        let failures = try cli.run(["audit", "--type", "TaskFailed"])
        #expect(failures.stdout.contains(failed))
        #expect(failures.stdout.contains("fail_after_output a1 exit 3:"), "\(failures.stdout)")
        #expect(!failures.stdout.contains(id))

        let secret = try cli.run(["audit", "--secret", "GCP_PROJECT_ID", "--json"])
        let objects = secret.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(Set(objects.compactMap { $0["execution"] as? String }) == [id, failed])
        #expect(objects.allSatisfy { ["TaskRendered", "AttemptStarted"].contains($0["type"] as? String ?? "") })
        #expect(try cli.run(["audit", "--secret", "NO_SUCH_SECRET"]).stdout.isEmpty)

        let flow = try cli.run(["audit", "--flow", "company.team/failing", "--type", "ExecutionFinished"])
        #expect(flow.stdout.split(separator: "\n").count == 1)
        #expect(flow.stdout.contains(failed) && flow.stdout.contains("FAILED"))

        let task = try cli.run(["audit", "--task", "summarize", "--type", "OutputFileDownloaded"])
        #expect(task.stdout.split(separator: "\n").count == 1)
        #expect(task.stdout.contains("report/summary.txt"))

        let jobLine = try #require(rows.first { $0.contains("JobCreateRequested") })
        let jobId = try #require(
            jobLine.split(separator: " ").first { $0.hasPrefix("companyteam-multi-task-generate-") })
        let job = try cli.run(["audit", "--job", String(jobId)])
        let jobRows = job.stdout.split(separator: "\n")
        #expect(
            jobRows.count == rows.filter { $0.contains("  generate a1") }.count,
            "every event of that attempt, from AttemptStarted to TaskSucceeded")
        #expect(jobRows.first?.contains("AttemptStarted") == true)
        #expect(jobRows.last?.contains("TaskSucceeded") == true)
        #expect(jobRows.allSatisfy { $0.contains(" generate a1") })

        let recent = try cli.run(["audit", "--type", "ExecutionStarted", "--since", "1h"])
        #expect(recent.stdout.split(separator: "\n").count == 2)
        #expect(try cli.run(["audit", "--type", "ExecutionStarted", "--until", "2000-01-01"]).stdout.isEmpty)
        let bad = try cli.run(["audit", "--since", "last tuesday"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--since last tuesday: not a time"))
        let missing = try cli.run(["events", "nope"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no execution nope"))
    }

    @Test("verify rebuilds the execution-summary projection and exits 1 when its cache was changed behind its back")
    func verifyProjection() throws {
        let (cli, id) = try ran(CLI.sample("multi_task.yaml"))
        let clean = try cli.run(["verify"])
        #expect(clean.status == 0)
        #expect(
            clean.stdout.contains("projection execution-summary rebuilt from the log equals its cache (1 executions)"))
        let sqlite = try #require(
            ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "the sqlite3 tool is needed to tamper with the cache")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sqlite)
        process.arguments = [
            cli.ledger,
            "UPDATE projection_state SET state = CAST(replace(CAST(state AS TEXT), 'SUCCEEDED', 'FAILED') AS BLOB) "
                + "WHERE projection = 'execution-summary'",
        ]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let dirty = try cli.run(["verify"])
        #expect(dirty.status == 1)
        #expect(
            dirty.stdout.contains("projection execution-summary: the cache differs from a fold of the log for \(id)"))
        let json = try cli.run(["verify", "--json"])
        #expect(json.status == 1)
        #expect(json.stdout.contains("\"valid\":false"))
    }

    @Test("CSV: a header and one row per event")
    func csv() throws {
        let (cli, id) = try ran(CLI.sample("multi_task.yaml"))
        let result = try cli.run(["export", id, "--format", "csv"])
        #expect(result.status == 0)
        let rows = result.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let events = try cli.run(["events", id]).stdout.split(separator: "\n")
        #expect(rows.count == events.count + 1)
        #expect(rows[0] == "seq,execution,version,type,schema_version,recorded_at,task_run,summary,payload_sha256,hash")
        #expect(rows[7].hasPrefix("7,\(id),7,JobCreated,1,"))
        #expect(rows[7].contains(",generate,"))
    }

    @Test("HTML: chromium renders one timeline bar per task run with its state; a screenshot is kept")
    func html() throws {
        let (cli, id) = try ran(CLI.sample("foreach.yaml"))
        let (result, failedReport) = try cli.runLocal(CLI.sample("failing.yaml"))
        #expect(result.status == 1)
        let failed = try #require(failedReport?.executionId)
        let pages = cli.folder.appendingPathComponent("pages").path
        let exported = try cli.run(["export", "--format", "html", "--output", pages + "/"])
        #expect(exported.status == 0, "\(exported.stderr)")
        let page = "\(pages)/\(id).html"
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.components(separatedBy: "class=\"bar\"").count == 4)
        #expect(html.contains("probe[0] · us-central1"), "a ForEach run is labelled with its value")

        guard
            let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            print("SKIPPED: chromium is not installed (apt-get install -y chromium); the DOM check did not run")
            return
        }
        func chromiumRun(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments =
                ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(cli.folder.path)/chromium"]
                + arguments
            let out = cli.folder.appendingPathComponent("chromium-\(UUID().uuidString)")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return try String(contentsOf: out, encoding: .utf8)
        }
        for (execution, expected) in [(id, ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]), (failed, ["FAILED"])] {
            let dom = try chromiumRun(["--dump-dom", "file://\(pages)/\(execution).html"])
            let bars = dom.components(separatedBy: "<div class=\"bar\" ").dropFirst()
            #expect(bars.count == expected.count, "the rendered DOM has one bar per task run")
            let states = bars.compactMap { bar -> String? in
                guard let range = bar.range(of: "data-state=\"") else { return nil }
                return String(bar[range.upperBound...].prefix { $0 != "\"" })
            }
            #expect(states == expected)
            #expect(dom.contains("data-taskrun=\""))
        }
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("batchledger-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts.appendingPathComponent("foreach-timeline.png")
        try? FileManager.default.removeItem(at: screenshot)
        _ = try chromiumRun(["--window-size=1280,1000", "--screenshot=\(screenshot.path)", "file://\(page)"])
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4e, 0x47]), "a PNG screenshot at \(screenshot.path)")
    }
}
