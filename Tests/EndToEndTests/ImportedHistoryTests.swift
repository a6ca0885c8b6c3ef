import Foundation
import Testing

/// An imported execution is history, not work: recover, resume and fork refuse to drive it (exit 2, naming it
/// imported and the flag that overrides) unless the user passes --include-imported.
@Suite("imported executions are not driven without --include-imported", .serialized)
struct ImportedHistoryTests {
    @Test("recover, resume and fork refuse an imported interrupted execution; --include-imported drives it")
    func importedIsRefused() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        // Interrupted while its job runs (the failpoint stops the process after the 8th event).
        let crashed = try cli.run(
            [
                "run", CLI.fixture("slow_then_done.yaml"), "--endpoint", emulator.endpoint, "--secrets-file",
                CLI.sample("local.env"),
            ],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": "8"])
        #expect(crashed.status == 137, "\(crashed.stderr)")
        let id = try #require(crashed.stdout.split(separator: " ").dropFirst().first.map(String.init))
        let export = cli.folder.appendingPathComponent("history.ndjson").path
        #expect(try cli.run(["export", "--output", export]).status == 0)
        let other = cli.folder.appendingPathComponent("imported.ledger").path
        #expect(try cli.run(["import", export, "--ledger", other]).status == 0)
        let eventsBefore = try cli.run(["replay", id, "--ledger", other]).stdout

        let secrets = ["--secrets-file", CLI.sample("local.env"), "--ledger", other]
        let attempts: [(String, [String])] = [
            ("recover", ["recover"] + secrets),
            ("recover --json", ["recover", "--json"] + secrets),
            ("resume", ["resume", id] + secrets),
            ("fork", ["fork", id, "--from", "slow", "--endpoint", emulator.endpoint] + secrets),
        ]
        for (label, arguments) in attempts {
            let result = try cli.run(arguments)
            #expect(result.status == 2, "\(label): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("execution '\(id)' was imported from ledger"), "\(label): \(result.stderr)")
            #expect(result.stderr.contains("--include-imported"), "\(label)")
        }
        let summary = try cli.run(["recover", "--json"] + secrets).stdout
        #expect(summary.contains("\"outcome\" : \"imported\""), "\(summary)")
        // Nothing was driven: the imported stream is as imported, and the emulator created only the one job.
        #expect(try cli.run(["replay", id, "--ledger", other]).stdout == eventsBefore)
        #expect(try emulator.stats()["jobsCreated"] as? Int == 1)
        #expect(try cli.run(["executions", "--ledger", other]).stdout.contains("RUNNING"))

        // Named explicitly, it is driven like a native one.
        let recovered = try cli.run(["recover", "--include-imported", "--json"] + secrets)
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(recovered.stdout.contains("\"outcome\" : \"finished\""), "\(recovered.stdout)")
        #expect(recovered.stderr.contains("imported from ledger"))
        #expect(try cli.run(["show", id, "--ledger", other]).stdout.contains("SUCCEEDED"))
        let resumed = try cli.run(["resume", id, "--include-imported"] + secrets)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let forked = try cli.run(
            ["fork", id, "--from", "after", "--endpoint", emulator.endpoint, "--include-imported"] + secrets)
        #expect(forked.status == 0, "\(forked.stderr)")
        #expect(try cli.run(["verify", "--ledger", other]).status == 0)

        // The ledger that recorded it drives it without the flag.
        let own = try cli.run(["recover", "--secrets-file", CLI.sample("local.env")])
        #expect(own.status == 0, "\(own.stderr)")
    }
}
