import Foundation
import Testing

@testable import Templates

/// Values: JSON in and out (key order kept), Java number printing, the context helpers.
struct ValueTests {
    @Test(arguments: [
        (1.0, "1.0"), (0.5, "0.5"), (-2.25, "-2.25"), (1234567.0, "1234567.0"), (1e7, "1.0E7"), (1.5e-4, "1.5E-4"),
        (0.001, "0.001"), (123456789.123, "1.23456789123E8"), (1e21, "1.0E21"), (Double.nan, "NaN"),
        (-Double.infinity, "-Infinity"), (0.0, "0.0"),
    ])
    func doublesPrintAsJava(value: Double, expected: String) {
        #expect(JavaNumberFormat.string(value) == expected)
    }

    @Test func jsonRoundTripKeepsOrderAndEscapes() throws {
        let text = #"{"z":1,"a":[true,false,null,-2.5,"q\"\\\n\u00e9\ud83d\ude00"],"m":{}}"#
        let value = try JSONReader.parse(text, maxDepth: 256)
        guard case .map(let map) = value else {
            Issue.record("expected a map")
            return
        }
        #expect(map.keys == ["z", "a", "m"])
        #expect(value.jsonText == #"{"z":1,"a":[true,false,null,-2.5,"q\"\\\né😀"],"m":{}}"#)
    }

    @Test func jsonRejectsBrokenInputWithOffset() {
        for (text, offset) in [("{\"a\" 1}", 6), ("[1,]", 4), ("tru", 4), ("\"abc", 5), ("1 2", 3)] {
            do {
                _ = try JSONReader.parse(text, maxDepth: 256)
                Issue.record("\(text) should not parse")
            } catch {
                #expect(error.offset == offset, "\(text): \(error.message)")
            }
        }
    }

    @Test func jsonDepthIsLimited() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse(deep, maxDepth: 256) }
    }

    @Test func orderedMapKeepsInsertionOrderAndRemoves() {
        var map: OrderedMap = ["b": 1, "a": 2]
        map["c"] = 3
        map["b"] = 4
        #expect(map.keys == ["b", "a", "c"])
        map["a"] = nil
        #expect(map.keys == ["b", "c"])
        #expect(map.values == [4, 3])
    }

    @Test func envsTakeOnlyThePrefixLowerCased() {
        let envs = TemplateContext.environmentVariables(from: ["ENV_MY_VAR": "1", "ENV_": "x", "HOME": "/root"])
        #expect(envs == .map(["my_var": "1"]))
    }

    @Test func runVariablesOmitDisabledOutputDir() {
        var run = Fixtures.run
        #expect(run.variables["outputDir"] == nil)
        run.outputDir = "/out"
        #expect(run.variables["outputDir"] == "/out")
        #expect(run.variables.keys.prefix(4) == ["flow", "execution", "task", "taskrun"])
    }
}

/// The public JSON entry points used by the engine for script outputs.
struct PublicJSONTests {
    @Test func parseAndPrintThroughThePublicAPI() throws {
        let value = try TemplateValue.parseJSON(#"{"rows": 10, "files": ["a.csv"]}"#)
        #expect(value.json == #"{"rows":10,"files":["a.csv"]}"#)
        #expect(TemplateValue.string("x").renderedText == "x")
        #expect(throws: TemplateValue.JSONError(message: "expected ',' or '}' in an object", offset: 9)) {
            try TemplateValue.parseJSON(#"{"a": 1 "b": 2}"#)
        }
    }

    @Test func secretsFileLoadsFromDiskAndReportsMissingFiles() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tpl-secrets-\(getpid()).env").path
        try "# test\nTOKEN=abc=def\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SecretsFile.load(from: path).entries == ["TOKEN": "abc=def"])
        #expect(throws: SecretError.self) { try SecretsFile.load(from: path + ".missing") }
        let error = #expect(throws: SecretError.self) { try SecretsFile.load(from: "/nonexistent/secrets.env") }
        #expect(error?.description.hasPrefix("cannot read the secrets file /nonexistent/secrets.env: ") == true)
    }
}
