import Foundation
import Testing

/// The commands on a PostgreSQL ledger, through the built binary: a run writes there, another host (a cache folder
/// of its own) reads the same history, and export, import, verify, audit and replay work across the two backends.
/// Skipped without `BATCHLEDGER_TEST_POSTGRES` (the PostgreSQL ledger tests say how to enable them).
@Suite(
    "the commands on a PostgreSQL ledger, end to end", .serialized,
    .enabled(if: SharedDatabase.server != nil, "needs BATCHLEDGER_TEST_POSTGRES"))
struct SharedLedgerEndToEndTests {
    /// `batchledger ARGS` as a host whose cache is `host`, on `ledger`.
    func run(_ cli: CLI, _ arguments: [String], ledger: String, host: String) throws -> CLI.Result {
        try cli.run(
            arguments,
            environment: [
                "BATCHLEDGER_LEDGER": ledger,
                "BATCHLEDGER_CACHE_DIR": cli.folder.appendingPathComponent("cache-\(host)").path,
            ])
    }

    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    @Test("run on PostgreSQL; another host shows, audits, verifies and replays it; export and import both ways")
    func historyAcrossHostsAndBackends() throws {
        let cli = try CLI()
        let ledger = try SharedDatabase.fresh()
        let ran = try run(
            cli,
            ["run", CLI.sample("multi_task.yaml"), "--local", "--secrets-file", CLI.sample("local.env"), "--json"],
            ledger: ledger, host: "a")
        #expect(ran.status == 0, "\(ran.stderr)")
        let id = try #require(try object(ran.stdout)["executionId"] as? String)

        let shownByA = try run(cli, ["show", id, "--json"], ledger: ledger, host: "a")
        let shownByB = try run(cli, ["show", id, "--json"], ledger: ledger, host: "b")
        #expect(shownByA.status == 0 && shownByB.status == 0, "\(shownByB.stderr)")
        #expect(NSDictionary(dictionary: try object(shownByA.stdout)).isEqual(to: try object(shownByB.stdout)))
        let listed = try run(cli, ["executions"], ledger: ledger, host: "b")
        #expect(listed.stdout.contains(id))
        let audited = try run(cli, ["audit", "--execution", id, "--type", "JobCreated"], ledger: ledger, host: "b")
        #expect(audited.status == 0 && audited.stdout.contains("JobCreated"), "\(audited.stderr)")
        let verified = try run(cli, ["verify", "--json"], ledger: ledger, host: "b")
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(try object(verified.stdout)["valid"] as? Bool == true)
        let replayed = try run(
            cli, ["replay", id, "--check", "--secrets-file", CLI.sample("local.env")], ledger: ledger, host: "b")
        #expect(replayed.status == 0, "\(replayed.stdout)\(replayed.stderr)")

        // PostgreSQL → export → an SQLite ledger: the same report.
        let export = cli.folder.appendingPathComponent("from-postgres.ndjson").path
        #expect(try run(cli, ["export", "--output", export], ledger: ledger, host: "b").status == 0)
        let sqlite = cli.folder.appendingPathComponent("copy.ledger").path
        let imported = try cli.run(["import", export, "--ledger", sqlite])
        #expect(imported.status == 0, "\(imported.stderr)")
        var copy = try object(try cli.run(["show", id, "--json", "--ledger", sqlite]).stdout)
        #expect(copy.removeValue(forKey: "importedFrom") != nil)
        #expect(NSDictionary(dictionary: copy).isEqual(to: try object(shownByA.stdout)))

        // SQLite → export → another PostgreSQL ledger: imported there, with its provenance, and it verifies.
        let back = cli.folder.appendingPathComponent("from-sqlite.ndjson").path
        #expect(try cli.run(["export", "--output", back, "--ledger", sqlite]).status == 0)
        let second = try SharedDatabase.fresh()
        let importedBack = try run(cli, ["import", back], ledger: second, host: "a")
        #expect(importedBack.status == 0, "\(importedBack.stderr)")
        let shownThere = try object(try run(cli, ["show", id, "--json"], ledger: second, host: "b").stdout)
        #expect(shownThere["importedFrom"] != nil)
        #expect(try run(cli, ["verify"], ledger: second, host: "b").status == 0)
        // A password in the URL is never printed, whatever the command says about the ledger.
        var withPassword = try #require(URLComponents(string: second))
        withPassword.password = "pw-never-shown"
        let secretURL = try #require(withPassword.string)
        for arguments in [["verify"], ["verify", "--json"], ["recover"], ["executions"], ["show", "no-such-id"]] {
            let said = try run(cli, arguments, ledger: secretURL, host: "b")
            #expect(
                !(said.stdout + said.stderr).contains("pw-never-shown"), "\(arguments): \(said.stdout)\(said.stderr)")
            if arguments[0] != "executions" {
                #expect(
                    (said.stdout + said.stderr).contains("@\(withPassword.host ?? "")"), "\(arguments) names the ledger"
                )
            }
        }
        // An import of the same export again is refused: the execution is already there.
        #expect(try run(cli, ["import", back], ledger: second, host: "b").status != 0)
    }

    /// The head `ledger verify` (or `verify`, or `ledger copy`) printed: "head seq N hash H".
    func head(_ output: String) throws -> String {
        let line = try #require(
            output.split(separator: "\n").first { $0.contains("head seq ") }, "no head in: \(output)")
        let words = line.split(separator: " ")
        let seq = try #require(words.firstIndex(of: "seq"))
        try #require(words.count > seq + 3 && words[seq + 2] == "hash", "\(line)")
        return "\(words[seq + 1]):\(words[seq + 3].prefix(64))"
    }

    @Test("ledger copy: SQLite to PostgreSQL, on to another database and back to SQLite, the same head on every side")
    func copyAcrossBackends() throws {
        let cli = try CLI()
        let source = cli.folder.appendingPathComponent("source.ledger").path
        let ran = try cli.run(
            ["run", CLI.sample("multi_task.yaml"), "--local", "--secrets-file", CLI.sample("local.env"), "--json"],
            environment: ["BATCHLEDGER_LEDGER": source])
        #expect(ran.status == 0, "\(ran.stderr)")
        let id = try #require(try object(ran.stdout)["executionId"] as? String)
        let verifiedSource = try cli.run(["ledger", "verify", source])
        #expect(verifiedSource.status == 0, "\(verifiedSource.stdout)\(verifiedSource.stderr)")
        let expected = try head(verifiedSource.stdout)

        let first = try SharedDatabase.fresh()
        let there = try run(cli, ["ledger", "copy", source, first], ledger: first, host: "a")
        #expect(there.status == 0, "\(there.stderr)")
        #expect(try head(there.stdout) == expected)
        let verifiedFirst = try run(
            cli, ["ledger", "verify", first, "--expect-head", expected], ledger: first, host: "a")
        #expect(verifiedFirst.status == 0, "\(verifiedFirst.stdout)\(verifiedFirst.stderr)")
        #expect(try head(verifiedFirst.stdout) == expected)
        // The engine reads the copy as its own: another host shows the execution and verifies it.
        let shown = try run(cli, ["show", id, "--json"], ledger: first, host: "b")
        #expect(shown.status == 0, "\(shown.stderr)")
        let original = try cli.run(["show", id, "--json"], environment: ["BATCHLEDGER_LEDGER": source])
        #expect(NSDictionary(dictionary: try object(shown.stdout)).isEqual(to: try object(original.stdout)))
        #expect(try run(cli, ["verify", "--expect-head", expected], ledger: first, host: "b").status == 0)

        let second = try SharedDatabase.fresh()
        let onward = try run(cli, ["ledger", "copy", first, second], ledger: second, host: "a")
        #expect(onward.status == 0, "\(onward.stderr)")
        let verifiedSecond = try run(
            cli, ["ledger", "verify", second, "--expect-head", expected], ledger: second, host: "a")
        #expect(verifiedSecond.status == 0, "\(verifiedSecond.stdout)\(verifiedSecond.stderr)")

        let back = cli.folder.appendingPathComponent("back.ledger").path
        let returned = try run(cli, ["ledger", "copy", second, back], ledger: back, host: "a")
        #expect(returned.status == 0, "\(returned.stderr)")
        let verifiedBack = try cli.run(["ledger", "verify", back, "--expect-head", expected])
        #expect(verifiedBack.status == 0, "\(verifiedBack.stdout)\(verifiedBack.stderr)")
        #expect(try head(verifiedBack.stdout) == expected)
        let shownBack = try cli.run(["show", id, "--json"], environment: ["BATCHLEDGER_LEDGER": back])
        #expect(NSDictionary(dictionary: try object(shownBack.stdout)).isEqual(to: try object(original.stdout)))

        // Again: nothing is missing. Into a ledger holding other events: refused, nothing written.
        let again = try run(cli, ["ledger", "copy", source, first], ledger: first, host: "a")
        #expect(again.status == 0 && again.stdout.contains("copied 0 events"), "\(again.stdout)\(again.stderr)")
        let other = cli.folder.appendingPathComponent("other.ledger").path
        #expect(
            try cli.run(
                ["run", CLI.sample("multi_task.yaml"), "--local", "--secrets-file", CLI.sample("local.env")],
                environment: ["BATCHLEDGER_LEDGER": other]
            ).status == 0)
        let refused = try run(cli, ["ledger", "copy", other, first], ledger: first, host: "a")
        #expect(refused.status == 3, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("already holds events"), "\(refused.stderr)")
        #expect(try head(try run(cli, ["ledger", "verify", first], ledger: first, host: "a").stdout) == expected)
    }

    @Test("a command that only reads creates nothing in a database without a ledger, and says so")
    func readingAnEmptyDatabase() throws {
        let cli = try CLI()
        let ledger = try SharedDatabase.fresh()
        let listed = try run(cli, ["executions"], ledger: ledger, host: "a")
        #expect(listed.status != 0)
        #expect(listed.stderr.contains("no ledger"), "\(listed.stderr)")
        #expect(!listed.stderr.contains("password"))
        // As on a missing file: nothing to recover, and nothing created.
        let recovered = try run(cli, ["recover"], ledger: ledger, host: "a")
        #expect(recovered.status == 0)
        #expect(recovered.stdout.contains("nothing to recover: no ledger at postgres://"), "\(recovered.stdout)")
        #expect(try SharedDatabase.tables(in: ledger).isEmpty)
    }
}

/// Databases on the server `BATCHLEDGER_TEST_POSTGRES` names, made with `psql`.
enum SharedDatabase {
    static let server = ProcessInfo.processInfo.environment["BATCHLEDGER_TEST_POSTGRES"].flatMap {
        $0.isEmpty ? nil : $0
    }

    /// A new, empty database; its URL.
    static func fresh() throws -> String {
        let base = try #require(server)
        let name = "batchledger_e2e_\(UInt64.random(in: 0 ... .max))"
        _ = try psql(base, "CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: base))
        components.path = "/\(name)"
        return try #require(components.string)
    }

    /// The tables of schema `public` in the database at `url`.
    static func tables(in url: String) throws -> [String] {
        try psql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            .split(separator: "\n").map(String.init)
    }

    private static func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        // libpq reads the URL's sslmode; psql does not know "postgres" URLs' other spellings.
        process.arguments = ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            Issue.record("psql failed: \(text)")
            throw CancellationError()
        }
        return text
    }
}
