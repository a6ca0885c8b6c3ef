import Foundation
import Ledger
import Testing

/// The ledger commands where an attacker can reach: a ledger rewritten with its chains recomputed, a ledger
/// path that does not exist or cannot be written, exports crafted to escape folders or exhaust memory, and
/// options out of range. Ledgers are filled by importing recorded histories, so no emulator is needed.
@Suite("batchledger verify / read commands / import / export at the trust boundary, end to end", .serialized)
struct LedgerTrustBoundaryTests {
    static let failing = "01m8mk9b2qp0zt990q0wv55kjk"

    /// A CLI whose ledger holds the `failing` (13 events) and `multi_task` (37 events) histories.
    func importedLedger() throws -> CLI {
        let cli = try CLI()
        for history in ["failing", "multi_task"] {
            let result = try cli.run(["import", CLI.fixture("histories/\(history).ndjson")])
            #expect(result.status == 0, "\(result.stderr)")
        }
        return cli
    }

    /// Runs the sqlite3 tool on `path`, as an attacker would.
    func sqlite(_ path: String, _ sql: String) throws {
        let tool = try #require(
            ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "the sqlite3 tool is needed to tamper with the ledger")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [path, sql]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sqlite3 failed on: \(sql.prefix(200))")
    }

    /// Runs `sql` with the immutability triggers dropped and recreated, and the projection cache removed, so
    /// that plain `verify` has nothing to compare: a careful forger's edit.
    func tamper(_ path: String, _ sql: String) throws {
        try sqlite(
            path,
            """
            BEGIN;
            DROP TRIGGER events_refuse_update; DROP TRIGGER events_refuse_delete;
            \(sql)
            DELETE FROM projection_state; DELETE FROM projection_checkpoints;
            CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE refused'); END;
            CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are immutable: DELETE refused'); END;
            COMMIT;
            """)
    }

    /// The head `verify --json` prints, as `SEQ:HASH`.
    func head(_ cli: CLI) throws -> String {
        let result = try cli.run(["verify", "--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let head = try #require(object["head"] as? [String: Any])
        let seq = try #require(head["seq"] as? Int)
        let hash = try #require(head["hash"] as? String)
        return "\(seq):\(hash)"
    }

    @Test("verify prints the head; a rewrite with recomputed chains passes plain verify but not --expect-head")
    func rewrite() throws {
        let cli = try importedLedger()
        let anchor = try head(cli)
        #expect(anchor.hasPrefix("50:"))
        let text = try cli.run(["verify"])
        #expect(text.stdout.contains("head seq 50 hash \(anchor.dropFirst(3))"), "\(text.stdout)")
        #expect(text.stdout.contains("--expect-head \(anchor)"))
        let passes = try cli.run(["verify", "--expect-head", anchor])
        #expect(passes.status == 0, "\(passes.stdout)\(passes.stderr)")
        #expect(passes.stdout.contains("passes through the expected link \(anchor)"))

        // Change a payload at seq 5 and recompute every digest and both chains from there, with the ledger's
        // own hash layout.
        let store = try EventStore(path: cli.ledger, options: .init(readOnly: true))
        var rows: [RecordedEvent] = []
        try store.readAll { rows.append($0) }
        var previous = SHA256Digest.zero
        var heads: [String: SHA256Digest] = [:]
        var sql = ""
        for row in rows {
            var (hash, streamHash) = (row.hash, row.streamHash)
            if row.seq >= 5 {
                var payload = row.payload
                if row.seq == 5 {
                    var object = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
                    object["forged"] = true
                    payload = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                }
                let digest = SHA256Digest.of(payload)
                hash = HashChain.globalHash(
                    prev: previous, seq: row.seq, stream: row.stream, version: row.version, type: row.type,
                    schemaVersion: row.schemaVersion, recordedAt: row.recordedAt, payloadSHA256: digest)
                streamHash = HashChain.streamHash(
                    prev: heads[row.stream] ?? .zero, stream: row.stream, version: row.version, type: row.type,
                    schemaVersion: row.schemaVersion, recordedAt: row.recordedAt, payloadSHA256: digest)
                let payloadHex = payload.map { String(format: "%02x", $0) }.joined()
                sql +=
                    "UPDATE events SET payload = X'\(payloadHex)', payload_sha256 = X'\(digest.hex)', "
                    + "prev_hash = X'\(previous.hex)', hash = X'\(hash.hex)', stream_hash = X'\(streamHash.hex)' "
                    + "WHERE seq = \(row.seq);\n"
            }
            previous = hash
            heads[row.stream] = streamHash
        }
        try tamper(cli.ledger, sql)

        let plain = try cli.run(["verify"])
        #expect(plain.status == 0, "the forgery verifies on its own: \(plain.stdout)\(plain.stderr)")
        let newHead = try head(cli)
        #expect(newHead != anchor && newHead.hasPrefix("50:"))
        let anchored = try cli.run(["verify", "--expect-head", anchor])
        #expect(anchored.status == 1)
        #expect(
            anchored.stdout.contains(
                "seq 50 has hash \(newHead.dropFirst(3)), expected \(anchor.dropFirst(3)): the ledger was rewritten"),
            "\(anchored.stdout)")
        let json = try cli.run(["verify", "--expect-head", anchor, "--json"])
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        #expect(object["headReached"] as? Bool == false)
        #expect((object["anchorProblem"] as? String)?.contains("rewritten") == true)
    }

    @Test("the last events of an execution cut off: plain verify passes, --expect-head names the truncation")
    func truncation() throws {
        let cli = try importedLedger()
        let anchor = try head(cli)
        try tamper(cli.ledger, "DELETE FROM events WHERE seq > 45;")
        #expect(try cli.run(["verify"]).status == 0, "cutting the end leaves a consistent chain")
        let anchored = try cli.run(["verify", "--expect-head", anchor])
        #expect(anchored.status == 1)
        #expect(anchored.stdout.contains("the ledger ends at seq 45 < 50: truncated"), "\(anchored.stdout)")
    }

    @Test("a malformed --expect-head is a usage error")
    func malformedAnchor() throws {
        let cli = try importedLedger()
        let hex = String(repeating: "0", count: 64)
        for bad in ["50", "50:xyz", "0:\(hex)", "-3:\(hex)", "50:\(hex)0", "1e3:\(hex)", "99999999999999999999:\(hex)"]
        {
            let result = try cli.run(["verify", "--expect-head", bad])
            #expect(result.status == 64, "\(bad): \(result.stderr)")
            #expect(result.stderr.contains("--expect-head"), "\(bad)")
        }
        #expect(try cli.run(["verify", "--export", "x", "--expect-head", "1:\(hex)"]).status == 64)
    }

    @Test("every read command refuses a missing ledger and creates no file or folder")
    func missingLedger() throws {
        let cli = try CLI()
        let folder = cli.folder.appendingPathComponent("nowhere")
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let commands: [[String]] = [
            ["executions"], ["show", Self.failing], ["events", Self.failing], ["audit"], ["logs", Self.failing],
            ["export"], ["export", "--format", "html", Self.failing], ["verify"], ["verify", "--json"],
        ]
        for command in commands {
            let result = try cli.run(command + ["--ledger", path])
            #expect(result.status == 3, "\(command): \(result.stderr)")
            #expect(
                result.stderr.contains("no ledger at \(path): run a flow first or pass --ledger"),
                "\(command): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.path), "\(command) created \(folder.path)")
        }
        // The default path too (BATCHLEDGER_LEDGER points into a folder that does not exist).
        let result = try cli.run(["executions"], environment: ["BATCHLEDGER_LEDGER": path])
        #expect(result.status == 3)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        // Commands that act on recorded executions never create a ledger either; recover has nothing to do.
        let acting: [([String], Int32)] = [
            (["resume", Self.failing], 3), (["fork", Self.failing, "--from", "t1"], 3),
            (["replay", Self.failing, "--check"], 3), (["replay", Self.failing], 3), (["recover"], 0),
        ]
        for (command, status) in acting {
            let result = try cli.run(command + ["--ledger", path])
            #expect(result.status == status, "\(command): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.path), "\(command) created \(folder.path)")
        }
        let json = try cli.run(["recover", "--json", "--ledger", path])
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"recovered\""), "\(json.stdout)")
    }

    /// Whether a command can run as a user who cannot write a 0555 folder: any non-root user, or root dropping
    /// to `nobody` with setpriv.
    static let canRunUnprivileged =
        geteuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    @Test(
        "read commands work on a ledger in a read-only folder (0555, file 0444) for a user who cannot write it",
        .enabled(if: canRunUnprivileged))
    func readOnlyFolder() throws {
        let cli = try importedLedger()
        try sqlite(cli.ledger, "PRAGMA wal_checkpoint(TRUNCATE);")
        let media = cli.folder.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        let ledger = media.appendingPathComponent("ledger.sqlite").path
        // Only the database file, as on a copied disc: no -wal, no -shm, and no way to create them.
        try FileManager.default.copyItem(atPath: cli.ledger, toPath: ledger)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cli.folder.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: ledger)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: media.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: media.path) }

        let commands: [[String]] = [
            ["executions"], ["executions", "--json"], ["show", Self.failing], ["events", Self.failing],
            ["audit", "--type", "TaskFailed"], ["logs", Self.failing], ["export"], ["export", "--format", "csv"],
            ["verify"],
        ]
        for command in commands {
            let result = try runUnprivileged(cli, command + ["--ledger", ledger])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(!result.stdout.isEmpty, "\(command)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: media.path) == ["ledger.sqlite"])
    }

    /// Runs the binary as `nobody` when this process is root (chmod does not stop root), else as itself.
    func runUnprivileged(_ cli: CLI, _ arguments: [String]) throws -> CLI.Result {
        let process = Process()
        if geteuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", try CLI.binary.path] + arguments
        } else {
            process.executableURL = try CLI.binary
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = "/nonexistent"
        environment.removeValue(forKey: "BATCHLEDGER_LEDGER")
        process.environment = environment
        let id = UUID().uuidString
        let out = cli.folder.appendingPathComponent("unprivileged-out-\(id)")
        let err = cli.folder.appendingPathComponent("unprivileged-err-\(id)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return CLI.Result(
            status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    @Test("show and executions name where an imported execution came from")
    func origin() throws {
        let cli = try importedLedger()
        let show = try cli.run(["show", Self.failing])
        #expect(show.status == 0)
        #expect(show.stdout.contains("from the ledger c.ledger"), "\(show.stdout)")
        let json = try cli.run(["show", Self.failing, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let origin = try #require(object["importedFrom"] as? [String: Any])
        #expect(origin["sourceLedger"] as? String == "c.ledger")
        #expect(origin["importedAt"] is String)
        let list = try cli.run(["executions"])
        #expect(list.stdout.split(separator: "\n").allSatisfy { $0.hasSuffix("imported from c.ledger") })
        let listed = try cli.run(["executions", "--json"])
        let executions = try #require(
            (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])?["executions"]
                as? [[String: Any]])
        #expect(executions.count == 2)
        #expect(
            executions.allSatisfy { ($0["importedFrom"] as? [String: Any])?["sourceLedger"] as? String == "c.ledger" })
    }

    @Test("import refuses an execution id that names a path; export --format html never writes outside --output")
    func pathEscape() throws {
        let cli = try CLI()
        let crafted = cli.folder.appendingPathComponent("crafted.ndjson").path
        let history = try String(contentsOfFile: CLI.fixture("histories/failing.ndjson"), encoding: .utf8)
        try history.replacingOccurrences(of: Self.failing, with: "../../x").write(
            toFile: crafted, atomically: true, encoding: .utf8)
        let refused = try cli.run(["import", crafted])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(crafted):1: execution id \"../../x\" is not"), "\(refused.stderr)")

        // A ledger that took such an id in before import checked them (appended directly here).
        let store = try EventStore(path: cli.ledger)
        let reader = try ExportReader(path: CLI.fixture("histories/failing.ndjson"))
        while let line = reader.next() {
            guard case .event(let exported) = line else { continue }
            let event = exported.event
            let payload = String(decoding: event.payload, as: UTF8.self)
            for stream in ["../../x", "ok-1"] {
                try store.append(
                    [
                        NewEvent(
                            type: event.type, schemaVersion: event.schemaVersion,
                            payload: Data(payload.replacingOccurrences(of: Self.failing, with: stream).utf8))
                    ], to: stream)
            }
        }
        let output = cli.folder.appendingPathComponent("a/b/out")
        let exported = try cli.run(["export", "--format", "html", "--output", output.path])
        #expect(exported.status == 0, "\(exported.stderr)")
        let escaped = cli.folder.appendingPathComponent("a/x.html").path
        #expect(!FileManager.default.fileExists(atPath: escaped), "a page was written outside --output")
        let pages = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
        #expect(pages.count == 2)
        #expect(pages.contains("ok-1.html"))
        #expect(pages.contains { $0.hasPrefix("execution-") && $0.hasSuffix(".html") }, "\(pages)")
    }

    @Test("numbers out of range in options are usage errors, never a trap")
    func outOfRange() throws {
        let cli = try importedLedger()
        for (arguments, option) in [
            (["audit", "--since", "1e20s"], "--since"), (["audit", "--until", "1e400d"], "--until"),
            (["audit", "--since", "99999-01-01"], "--since"), (["audit", "--since", "2026-13-01"], "--since"),
            (["audit", "--since", "infd"], "--since"), (["show", Self.failing, "--at", "-1"], "--at"),
            (["audit", "--limit", "99999999999999999999"], "--limit"),
            (["export", "--since-seq", "99999999999999999999"], "--since-seq"),
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(option), "\(arguments): \(result.stderr)")
        }
        let old = try cli.run(["audit", "--since", "700000d", "--type", "ExecutionStarted"])
        #expect(old.status == 0, "an age within the years 1-9999 still works: \(old.stderr)")
        #expect(old.stdout.split(separator: "\n").count == 2)
    }

    @Test("verify --export /dev/zero stops at the line limit and names line 1")
    func endlessLine() throws {
        let cli = try CLI()
        let result = try cli.run(["verify", "--export", "/dev/zero"], timeout: .seconds(60))
        #expect(result.status == 3)
        #expect(result.stderr.contains("/dev/zero:1: the line is longer than 64 MiB"), "\(result.stderr)")
    }
}
