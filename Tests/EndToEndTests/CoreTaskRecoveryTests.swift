import Foundation
import Testing

/// A flow of core tasks, handlers, a Pause, a Subflow and flow outputs survives a crash after any of its events:
/// `recover` finishes it exactly as an uninterrupted run ends.
@Suite("Core tasks survive a crash at every event", .serialized)
struct CoreTaskRecoveryTests {
    /// What a user compares between two runs: the end state, the flow outputs, and each task run's id, state and
    /// outputs (the Subflow's child execution id aside, which differs between any two runs).
    struct Outcome: Equatable, CustomStringConvertible {
        var state: String
        var outputs: String
        var tasks: [String]

        init(_ json: String) throws {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            state = object["state"] as? String ?? "?"
            outputs = Self.text(object["outputs"] ?? [:])
            tasks = (object["tasks"] as? [[String: Any]] ?? []).map { task in
                var vars = task["vars"] as? [String: Any] ?? [:]
                vars["executionId"] = nil
                return "\(task["id"] ?? "?") \(task["state"] ?? "?") \(Self.text(vars))"
            }
        }

        static func text(_ value: Any) -> String {
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }

        var description: String { "\(state) \(outputs) \(tasks)" }
    }

    /// An execution's stored log lines without their times.
    func logs(_ cli: CLI, _ id: String) throws -> [String] {
        try cli.run(["logs", id]).stdout.split(separator: "\n").map {
            $0.split(separator: " ").dropFirst().joined(separator: " ")
        }
    }

    @Test("crash after every event, recover, and the execution ends as an uninterrupted run does")
    func crashSweep() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let flow = CLI.fixture("sweep_parent.yaml")
        let arguments = ["run", flow, "--endpoint", emulator.endpoint, "--json"]
        let reference = try cli.run(arguments)
        #expect(reference.status == 0, "\(reference.stderr)")
        let expected = try Outcome(reference.stdout)
        #expect(expected.state == "WARNING")
        #expect(expected.tasks.count == 12)
        let referenceId =
            try #require(try JSONSerialization.jsonObject(with: Data(reference.stdout.utf8)) as? [String: Any])[
                "executionId"] as? String
        let expectedLogs = try logs(cli, try #require(referenceId))
        #expect(expectedLogs.contains("greet INFO starting"))

        var crashes = 0
        for after in 1...200 {
            let sweep = try CLI()
            let crashed = try sweep.run(
                ["run", flow, "--endpoint", emulator.endpoint],
                environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": String(after)])
            if crashed.status != 137 {
                // Past the last event: the run ended before the failpoint.
                #expect(crashed.status == 0, "\(crashed.stderr)")
                break
            }
            crashes += 1
            let id = try #require(crashed.stdout.split(separator: " ").dropFirst().first.map(String.init))
            let recover = try sweep.run(["recover"])
            #expect(recover.status == 0, "crash after event \(after): \(recover.stderr)")
            let recovered = try Outcome(try sweep.run(["show", id, "--json"]).stdout)
            #expect(recovered == expected, "crash after event \(after)")
            #expect(try logs(sweep, id) == expectedLogs, "crash after event \(after): no log line lost or repeated")
            let children = try sweep.run(["executions"]).stdout.split(separator: "\n").filter {
                $0.contains("company.team/sweep_child")
            }
            #expect(children.count == 1, "crash after event \(after): one child execution, never a second")
            let replay = try sweep.run(["replay", id, "--check"])
            #expect(replay.status == 0, "crash after event \(after): \(replay.stdout)\(replay.stderr)")
            #expect(try sweep.run(["verify"]).status == 0, "crash after event \(after)")
        }
        #expect(crashes >= 40, "every event of the run was a crash point")
    }
}
