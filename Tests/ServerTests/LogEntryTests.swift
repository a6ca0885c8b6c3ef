import Server
import Testing

@testable import Engine

/// Stored log lines read as Kestra's log entries, with Kestra's levels and `GET /logs` filters.
@Suite struct LogEntryTests {
    /// Two task runs: `a` prints a line on each stream, a DEBUG line through the output protocol and a Cloud
    /// Logging WARNING; `b` fails its first attempt with a line on standard error and prints on its second.
    private func record() throws -> ExecutionRecord {
        var recording = Recording()
        try recording.record([
            Make.started(), Make.attempt("a", task: "a"),
            Make.lines(
                "a",
                [
                    ("INFO", false, "hello"), ("ERROR", true, "oops"), ("DEBUG", false, "details"),
                    ("WARNING", false, "careful"),
                ]),
            Make.succeeded("a", .warning),
            Make.attempt("b", task: "b"), Make.lines("b", [("DEFAULT", true, "first try failed")]),
            Make.failed("b", willRetry: true), Make.attempt("b", task: "b", attempt: 2),
            Make.lines("b", attempt: 2, [("DEFAULT", false, "second try")]), Make.succeeded("b", attempt: 2),
            Make.finished(.warning),
        ])
        return try recording.record()
    }

    @Test func levelsComeFromTheRecordedSeverityOrElseTheStream() throws {
        let entries = Kestra.LogEntry.entries(of: try record())
        #expect(entries.map(\.message) == ["hello", "oops", "details", "careful", "first try failed", "second try"])
        #expect(entries.map(\.level) == [.info, .error, .debug, .warn, .error, .info])
    }

    @Test func entriesNameTheirTaskRunAndAttemptFromZeroWithTheLinesOwnTimeInUTC() throws {
        let entries = Kestra.LogEntry.entries(of: try record())
        #expect(entries.map(\.taskId) == ["a", "a", "a", "a", "b", "b"])
        #expect(entries.map(\.attemptNumber) == [0, 0, 0, 0, 0, 1])
        #expect(entries[0].namespace == "company.team" && entries[0].flowId == "hello")
        #expect(entries[0].executionId == "exec-1")
        #expect(entries[0].timestamp == "2024-12-31T23:00:00.250000Z")
        let first = try json(entries)[0]
        #expect(first?["level"]?.string == "INFO")
        #expect(first?["attemptNumber"]?.int == 0)
        #expect(first?["namespace"]?.string == "company.team")
        #expect(first?["flowId"]?.string == "hello")
    }

    @Test func minimumLevelKeepsThatLevelAndMoreSevere() throws {
        let record = try record()
        func messages(_ level: Kestra.Level) -> [String?] {
            Kestra.LogEntry.entries(of: record, filter: .init(minLevel: level)).map(\.message)
        }
        #expect(messages(.error) == ["oops", "first try failed"])
        #expect(messages(.warn) == ["oops", "careful", "first try failed"])
        #expect(messages(.info) == ["hello", "oops", "careful", "first try failed", "second try"])
        #expect(messages(.trace).count == 6)
        #expect(Kestra.Level(name: "warn") == .warn)
        #expect(Kestra.Level(name: "loud") == nil)
    }

    @Test func filtersByTaskTaskRunAndAttempt() throws {
        let record = try record()
        #expect(
            Kestra.LogEntry.entries(of: record, filter: .init(taskId: "b")).map(\.message) == [
                "first try failed", "second try",
            ])
        #expect(Kestra.LogEntry.entries(of: record, filter: .init(taskRunId: "a")).count == 4)
        #expect(
            Kestra.LogEntry.entries(of: record, filter: .init(taskRunId: "b", attempt: 1)).map(\.message) == [
                "second try"
            ])
        #expect(
            Kestra.LogEntry.entries(of: record, filter: .init(taskId: "a", minLevel: .error)).map(\.message) == [
                "oops"
            ])
    }
}
