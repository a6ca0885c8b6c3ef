import Flows
import Foundation
import Server
import Testing

@testable import Engine

/// Writes sample Kestra documents for `Tools/conformance/kestra_models.py`, which checks them against kestrapy's
/// strict models, when `BATCHLEDGER_KESTRA_SAMPLES` names a folder; checks that each sample encodes either way.
@Suite struct KestraSamplesTests {
    /// Sample name → JSON: executions (succeeded with outputs, a ForEach, a retry, failed, cancelled, running), a
    /// log entry list, a flow with its source, a search page and validation results.
    static func samples() throws -> [(name: String, data: Data)] {
        let encoder = Kestra.encoder()
        var samples: [(String, Data)] = []

        var succeeded = Recording()
        try succeeded.record([
            Make.started(), Make.attempt("t"), Make.exit("t", code: 0),
            .outputsParsed(
                OutputsParsed(
                    taskRunId: "t", attempt: 1, vars: ["count": .number(2), "name": .string("x")], metrics: [],
                    warnings: [])),
            .outputFileDownloaded(
                OutputFileDownloaded(
                    taskRunId: "t", attempt: 1, name: "out.txt", object: "wd1/out.txt", localPath: "/out/t/out.txt",
                    size: 3, crc32c: "AAAAAA==")),
            Make.succeeded("t"), Make.finished(.succeeded),
        ])
        samples.append(("execution-succeeded.execution.json", try encoder.encode(try succeeded.execution())))

        var forEach = Recording()
        try forEach.record([
            Make.started(), Make.attempt("each_0", task: "each", value: "a"),
            Make.attempt("each_1", task: "each", value: "b"), Make.succeeded("each_0"),
            Make.succeeded("each_1", .warning), Make.finished(.warning),
        ])
        samples.append(("execution-foreach.execution.json", try encoder.encode(try forEach.execution())))

        var retried = Recording()
        try retried.record([
            Make.started(), Make.attempt("t"), Make.failed("t", willRetry: true), Make.attempt("t", attempt: 2),
            Make.succeeded("t", attempt: 2), Make.finished(.succeeded),
        ])
        samples.append(("execution-retried.execution.json", try encoder.encode(try retried.execution())))

        var failed = Recording()
        try failed.record([
            Make.started(), Make.attempt("t"), Make.exit("t", code: 1), Make.failed("t", willRetry: false),
            Make.finished(.failed),
        ])
        samples.append(("execution-failed.execution.json", try encoder.encode(try failed.execution())))

        var cancelled = Recording()
        try cancelled.record([Make.started(), Make.attempt("t"), Make.cancelled("t"), Make.finished(.cancelled)])
        samples.append(("execution-cancelled.execution.json", try encoder.encode(try cancelled.execution())))

        var running = Recording()
        try running.record([Make.started(labels: [:], inputs: [:]), Make.attempt("t")])
        samples.append(("execution-running.execution.json", try encoder.encode(try running.execution())))

        var logged = Recording()
        try logged.record([
            Make.started(), Make.attempt("t"),
            Make.lines("t", [("INFO", false, "hello"), ("ERROR", true, "oops"), ("DEBUG", false, "details")]),
        ])
        samples.append(("logs.logs.json", try encoder.encode(Kestra.LogEntry.entries(of: try logged.record()))))

        let flow = try FlowJSONTests.flow()
        samples.append(("flow.flow.json", try encoder.encode(flow)))
        samples.append(
            (
                "flows-page.flowpage.json",
                try encoder.encode(Kestra.PagedResults(results: [flow.withoutSource], total: 1))
            ))

        let broken = FlowParser.parse(source: "id: hello\nnamespace: company.team\ntasks: 3\n", file: "flow.yaml")
        let valid = FlowParser.parse(source: FlowJSONTests.source, file: "hello.yaml")
        samples.append(
            (
                "validate.violations.json",
                try encoder.encode([
                    Kestra.ValidateConstraintViolation(index: 0, result: valid),
                    Kestra.ValidateConstraintViolation(index: 1, result: broken),
                ])
            ))
        return samples
    }

    @Test func samplesEncodeAndAreWrittenWhenAFolderIsNamed() throws {
        let samples = try Self.samples()
        #expect(samples.count == 10)
        for sample in samples {
            #expect(throws: Never.self, "\(sample.name) is JSON") { try EventValue.parse(sample.data) }
        }
        guard let folder = ProcessInfo.processInfo.environment["BATCHLEDGER_KESTRA_SAMPLES"], !folder.isEmpty else {
            return
        }
        let url = URL(fileURLWithPath: folder, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for sample in samples {
            try sample.data.write(to: url.appendingPathComponent(sample.name))
        }
    }
}
