import GoogleCloud
import Testing

@testable import Engine

/// Kestra's script output protocol: a whole `::{…}::` line carries outputs, metrics and log lines.
@Suite struct OutputProtocolTests {
    private func message(_ line: String) throws -> OutputProtocol.Message {
        guard case .message(let message) = OutputProtocol.parse(line) else {
            throw TestFailure(description: "'\(line)' was not read as a protocol line")
        }
        return message
    }

    @Test(arguments: [
        "hello", "", "::", "::{}", "{}::", " ::{\"outputs\":{}}::", "::{\"outputs\":{}}:: ", "prefix ::{}::",
        "::[1]::",
    ])
    func linesThatAreNotAWholeProtocolLineArePlain(line: String) {
        #expect(OutputProtocol.parse(line) == .plain)
    }

    @Test func outputsAreReadAsJSONValues() throws {
        let message = try message(#"::{"outputs":{"count":3,"name":"x","nested":{"ok":true},"list":[1,"a"]}}::"#)
        #expect(message.outputs["count"] == .number(3))
        #expect(message.outputs["name"] == .string("x"))
        #expect(message.outputs["nested"] == .object(["ok": .bool(true)]))
        #expect(message.outputs["list"] == .array([.number(1), .string("a")]))
        #expect(message.metrics.isEmpty)
        #expect(message.logs.isEmpty)
    }

    @Test func outputsThatAreNotAnObjectAreIgnored() throws {
        let message = try message(#"::{"outputs":5}::"#)
        #expect(message.outputs.isEmpty)
    }

    @Test func anEmptyObjectIsAProtocolLineWithNothingInIt() throws {
        #expect(try message("::{}::") == OutputProtocol.Message())
    }

    @Test func metricsKeepNameTypeValueAndTagsWithNonStringTagsAsCompactJSON() throws {
        let message = try message(
            #"::{"metrics":[{"name":"rows","type":"timer","value":1.5,"tags":{"table":"t","shard":2,"ok":true}}]}::"#)
        #expect(
            message.metrics == [
                Metric(name: "rows", type: "timer", value: 1.5, tags: ["table": "t", "shard": "2", "ok": "true"])
            ])
    }

    @Test func aMetricWithoutATypeIsACounter() throws {
        let message = try message(#"::{"metrics":[{"name":"n","value":2}]}::"#)
        #expect(message.metrics == [Metric(name: "n", type: "counter", value: 2, tags: [:])])
    }

    @Test func metricsWithoutANameOrANumericValueAreSkipped() throws {
        let message = try message(
            #"::{"metrics":[{"value":1},{"name":"s","value":"1"},{"name":"kept","value":0},"x"]}::"#)
        #expect(message.metrics.map(\.name) == ["kept"])
    }

    @Test func logsKeepTheirOrderAndLevelWithINFOByDefault() throws {
        let message = try message(
            #"::{"logs":[{"level":"WARN","message":"careful"},{"message":"plain"},{"level":"ERROR"},"x"]}::"#)
        #expect(message.logs.map(\.level) == ["WARN", "INFO"])
        #expect(message.logs.map(\.message) == ["careful", "plain"])
    }

    @Test func outputsMetricsAndLogsComeTogetherFromOneLine() throws {
        let message = try message(
            #"::{"outputs":{"a":1},"metrics":[{"name":"m","value":3}],"logs":[{"message":"hi"}]}::"#)
        #expect(message.outputs == ["a": .number(1)])
        #expect(message.metrics.map(\.value) == [3])
        #expect(message.logs.map(\.message) == ["hi"])
    }

    @Test(arguments: ["\n", "\r\n"])
    func oneFinalLineTerminatorIsTolerated(terminator: String) throws {
        let message = try message(#"::{"outputs":{"a":1}}::"# + terminator)
        #expect(message.outputs == ["a": .number(1)])
        #expect(OutputProtocol.parse(#"::{"outputs":{"a":1}}::"# + terminator + terminator) == .plain)
    }

    @Test func invalidJSONIsAWarningQuotingTheStartOfTheLine() {
        #expect(OutputProtocol.parse("::{not json}::") == .invalid("Invalid outputs '{not json}'"))
        let long = "::{" + String(repeating: "x", count: 300) + "}::"
        guard case .invalid(let warning) = OutputProtocol.parse(long) else {
            Issue.record("a long invalid line was not reported")
            return
        }
        #expect(warning == "Invalid outputs '{" + String(repeating: "x", count: 199) + "'")
    }
}
