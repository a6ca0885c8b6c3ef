import Foundation
import Testing

@testable import Flows

/// Line and column numbers agree with what an editor shows, whatever the line endings.
@Suite struct LocationTests {
    static let flow = [
        "id: places", "namespace: company.team", "tasks:", "  - id: é_accent", "    type: io.kestra.plugin.foo.Bar",
    ]

    @Test(arguments: ["\n", "\r\n", "\r"])
    func lineEndingsDoNotShiftLocations(separator: String) {
        let text = Self.flow.joined(separator: separator) + separator
        let result = FlowParser.parse(source: text, file: "le.yaml")
        #expect(result.diagnostics.first?.location == Flows.SourceLocation(file: "le.yaml", line: 5, column: 11))
        #expect(result.diagnostics.first?.message.hasPrefix("unknown task type 'io.kestra.plugin.foo.Bar'") == true)
    }

    @Test func byteOrderMarkIsNotAColumn() throws {
        let text = "\u{FEFF}id: bom\nnamespace: Company\ntasks: []\n"
        let result = FlowParser.parse(source: text, file: "bom.yaml")
        let flow = try #require(result.flow)
        #expect(flow.id.location == Flows.SourceLocation(file: "bom.yaml", line: 1, column: 5))
        #expect(result.diagnostics.first?.location == Flows.SourceLocation(file: "bom.yaml", line: 2, column: 12))
    }

    @Test func columnsCountCharactersNotBytes() {
        let text = "id: x\nnamespace: y\ndescription: \"héllo🙂\"\ntasks: []\ntasks: []\n"
        let result = FlowParser.parse(source: text, file: "u.yaml")
        #expect(
            result.diagnostics.map(\.description).contains(
                "u.yaml:5:1: duplicate key 'tasks' (first defined at line 4, column 1)"))
        let same = FlowParser.parse(source: "a: {k: \"é🙂\", k: 2, z: [1}\n", file: "u.yaml")
        #expect(same.diagnostics.first?.location.column == 25)
    }

    @Test func duplicateKeysWithWindowsLineEndings() {
        let text = "id: a\r\nnamespace: b\r\nid: c\r\ntasks: []\r\n"
        let result = FlowParser.parse(source: text, file: "crlf.yaml")
        #expect(
            result.diagnostics.map(\.description).contains(
                "crlf.yaml:3:1: duplicate key 'id' (first defined at line 1, column 1)"))
        #expect(result.flow?.id.value == "a")
    }

    @Test func unreadableFileIsADiagnostic() {
        let url = URL(fileURLWithPath: "/nonexistent/flow.yaml")
        let diagnostics = validate(contentsOf: url, file: "flow.yaml")
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.description.hasPrefix("flow.yaml:1:1: cannot read the file") == true)
    }
}
