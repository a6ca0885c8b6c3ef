import Foundation
import Testing

/// Execution labels from the flow and from `run --label`: recorded, shown, and searchable with `executions` and
/// `audit`; a label that a Kestra server or the ledger would not keep is a usage error.
@Suite("run --label, executions --label, audit --label", .serialized)
struct LabelTests {
    @Test("labels are recorded, shown by show --json and executions --json, and select executions and events")
    func searchable() throws {
        let cli = try CLI()
        let flow = CLI.fixture("parallel_then.yaml")
        let (labelled, report) = try cli.runLocal(flow, ["--label", "team=data", "--label", "cost center=42"])
        #expect(labelled.status == 0, "\(labelled.stderr)")
        let id = try #require(report?.executionId)
        let (other, _) = try cli.runLocal(flow, ["--label", "team=web"])
        #expect(other.status == 0, "\(other.stderr)")

        let shown = try JSONSerialization.jsonObject(with: Data(try cli.run(["show", id, "--json"]).stdout.utf8))
        #expect((shown as? [String: Any])?["labels"] as? [String: String] == ["team": "data", "cost center": "42"])

        let listed = try cli.run(["executions", "--label", "team=data", "--json"]).stdout
        let executions = try #require(
            (try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [String: Any])?["executions"]
                as? [[String: Any]])
        #expect(executions.map { $0["executionId"] as? String } == [id])
        #expect(executions.first?["labels"] as? [String: String] == ["team": "data", "cost center": "42"])
        #expect(try cli.run(["executions", "--label", "team=data", "--label", "cost center=41"]).stdout.isEmpty)

        let audit = try cli.run(["audit", "--label", "team=data", "--type", "ExecutionStarted", "--json"]).stdout
        #expect(audit.split(separator: "\n").count == 1 && audit.contains(id))
        let none = try cli.run(["audit", "--label", "team=nobody"])
        #expect(none.stderr.contains("no execution with label team=nobody"), "\(none.stderr)")
    }

    @Test(
        "a label a Kestra server would refuse is a usage error naming it, and nothing starts",
        arguments: [
            ("system.correlationId=1", "reserved for Kestra's own labels"), ("novalue", "write KEY=VALUE"),
            ("=x", "a label key has 1 to 100 characters"), ("k=line\nbreak", "no control characters"),
            (String(repeating: "k", count: 101) + "=v", "a label key has 1 to 100 characters"),
        ])
    func refused(label: String, message: String) throws {
        let cli = try CLI()
        let result = try cli.run(["run", CLI.fixture("parallel_then.yaml"), "--local", "--label", label])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try cli.run(["executions"]).stdout.isEmpty)
        #expect(try cli.run(["executions", "--label", "nokey"]).status != 0)
    }
}
