import Foundation
import Testing

@testable import Flows

/// Inputs meant to crash or hang a YAML reader; each must end with a located refusal. What keeps them fast is
/// structural, and asserted here by the refusal each gets (the nesting limit is hit at its column, an alias is
/// refused before any key is hashed, the node budget stops an expansion): a reader that regressed would hang the
/// suite rather than pass. No bound on the clock is asserted.
@Suite struct HostileInputTests {
    static func parse(_ text: String) -> FlowParseResult {
        FlowParser.parse(source: text, file: "hostile.yaml")
    }

    @Test func tenMegabytesOfOpeningBracketsAreRefusedAtTheLimit() {
        var result: FlowParseResult?
        result = Self.parse(String(repeating: "[", count: 10_000_000))
        #expect(
            result?.diagnostics.map(\.description) == [
                "hostile.yaml:1:65: nesting deeper than 64 levels: a flow never needs such deep structures; flatten it"
            ])
    }

    @Test func nestedFlowMappingsAreRefused() {
        let text = "id: x\nvariables: " + String(repeating: "{a: ", count: 200_000)
        let result = Self.parse(text)
        #expect(result.flow == nil)
        #expect(result.diagnostics.first?.message.hasPrefix("nesting deeper than 64 levels") == true)
        #expect(result.diagnostics.first?.location.line == 2)
    }

    @Test func deepBlockIndentationIsRefused() {
        var text = ""
        for level in 0..<1_500 { text += String(repeating: " ", count: level) + "k:\n" }
        let result = Self.parse(text)
        #expect(result.flow == nil)
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message.hasPrefix("nesting deeper than 64 levels") == true)
    }

    @Test func compactNestedSequencesAreRefused() {
        let result = Self.parse(String(repeating: "- ", count: 100_000) + "x\n")
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message.hasPrefix("nesting deeper than 64 levels") == true)
    }

    @Test func nestingJustUnderTheLimitIsAccepted() {
        // root mapping (1) + variables mapping (2) + 62 nested lists = 64 levels.
        let text =
            "id: x\nnamespace: y\nvariables:\n  v: " + String(repeating: "[", count: 62)
            + String(repeating: "]", count: 62) + "\ntasks: []\n"
        let result = Self.parse(text)
        #expect(!result.diagnostics.contains { $0.message.contains("nesting") })
        let tooDeep = text.replacingOccurrences(of: "[]", with: "[[]]")
        #expect(Self.parse(tooDeep).diagnostics.contains { $0.message.hasPrefix("nesting deeper than 64") })
    }

    @Test func billionLaughsAsKeysIsRefusedBeforeYamsHashesIt() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...12 {
            text +=
                "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
                + "]\n"
        }
        var keyed = text + "? *a12\n: boom\n"
        var result: FlowParseResult?
        result = Self.parse(keyed)
        #expect(
            result?.diagnostics.map(\.message) == [
                "explicit mapping keys ('? ') cannot be combined with aliases ('*'): write keys as plain strings"
            ])
        keyed = text + "x: {[*a12]: boom}\n"
        result = Self.parse(keyed)
        #expect(result?.diagnostics.first?.message.hasPrefix("an alias ('*') cannot be used in a mapping key") == true)
        result = Self.parse(text)
        #expect(result?.diagnostics.first?.message.hasPrefix("the document expands to too many YAML nodes") == true)
    }

    @Test func modestAliasesAreExpanded() throws {
        let text = """
            id: anchors
            namespace: company.team
            variables:
              base: &base {region: europe-west9, zone: b}
              copy: *base
            tasks: []
            """
        let result = Self.parse(text)
        let variables = try #require(result.flow?.variables)
        #expect(variables["copy"]?["region"]?.scalar?.text == "europe-west9")
        #expect(variables["copy"]?["zone"]?.scalar?.text == "b")
    }

    @Test func invalidUTF8IsReportedAtTheFirstBadByte() {
        let data = Data("id: x\nnamespace: y\ndescription: ok\u{e9}\n".utf8) + Data([0x80, 0xFF, 0x0A])
        let result = FlowParser.parse(data: data, file: "bytes.yaml")
        #expect(
            result.diagnostics.map(\.description) == [
                "bytes.yaml:4:1: file is not valid UTF-8 (byte 0x80 at offset 37): save the flow as UTF-8 text"
            ])
    }

    @Test func everyByteValueIsRefusedCleanly() {
        let data = Data((0...255).map { UInt8($0) })
        let result = FlowParser.parse(data: data, file: "binary.bin")
        #expect(result.flow == nil)
        #expect(result.diagnostics.count == 1)
        let text = String(decoding: (0...127).map { UInt8($0) }, as: UTF8.self)
        let asText = Self.parse(text)
        #expect(asText.flow == nil)
        #expect(asText.diagnostics.first?.message.hasPrefix("invalid YAML") == true)
    }

    @Test func manyDuplicateKeysAreReportedUpToTheCap() {
        let text = "id: x\n" + String(repeating: "a: 1\n", count: 40)
        let result = Self.parse(text)
        #expect(
            result.diagnostics.map(\.description) == [
                "hostile.yaml:18:1: too many duplicate keys (more than 16): 'a' appears again after line 18, column 1; "
                    + "remove the duplicates"
            ])
        let few = Self.parse("id: x\n" + String(repeating: "a: 1\n", count: 4))
        #expect(
            few.diagnostics.filter { $0.message.hasPrefix("duplicate key") }.map(\.location.line) == [3, 4, 5])
    }

    @Test func oversizedFileIsRefusedWithoutParsing() {
        let limits = FlowParser.Limits(maxFileBytes: 1_000)
        let result = FlowParser.parse(source: String(repeating: "#", count: 2_000), file: "big.yaml", limits: limits)
        #expect(result.diagnostics.map(\.message) == ["file is 2000 bytes, more than the 1000 bytes a flow may have"])
    }

    @Test func aLongScalarIsReadQuickly() {
        let text = "id: x\nnamespace: y\ndescription: " + String(repeating: "x", count: 2_000_000) + "\ntasks: []\n"
        var result: FlowParseResult?
        result = Self.parse(text)
        #expect(result?.flow?.description?.value.count == 2_000_000)
    }
}

extension HostileInputTests {
    @Test func oneLongLineOfFlowMappingsIsReadInLinearTime() {
        let items = Array(repeating: "{a: 1}", count: 100_000).joined(separator: ", ")
        let text = "id: x\nnamespace: y\nvariables: {v: [\(items)]}\ntasks: []\n"
        var result: FlowParseResult?
        result = Self.parse(text)
        #expect(result?.flow?.variables?["v"]?.items?.count == 100_000)
    }

    @Test func blockScalarAtTheDocumentRootDoesNotHideLaterNesting() {
        let text = "--- |\n  text\n---\n" + String(repeating: "[", count: 100_000)
        let result = Self.parse(text)
        #expect(
            result.diagnostics.map(\.description) == [
                "hostile.yaml:4:65: nesting deeper than 64 levels: a flow never needs such deep structures; flatten it"
            ])
        #expect(result.flow == nil)
    }
}

extension HostileInputTests {
    /// Found by fuzzing: libyaml composes `*g` as a key in `[*g  i: x]` before failing, and Yams then
    /// hashes the whole expansion (seconds, growing ninefold per level).
    @Test(arguments: ["[*g  i: x]", "[*g : x]", "[*g, *g\n  i: x]", "{*g  i: x}"])
    func aliasesThatCouldEndUpInAKeyAreRefusedFirst(tail: String) {
        var text = "id: lol\nnamespace: company.team\nvariables:\n"
        text += "  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for (level, name) in ["b", "c", "d", "e", "f", "g"].enumerated() {
            let previous = ["a", "b", "c", "d", "e", "f"][level]
            text += "  \(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        text += "  h: \(tail)\n"
        var result: FlowParseResult?
        result = Self.parse(text)
        #expect(result?.diagnostics.first?.message.hasPrefix("an alias ('*') cannot be used in a mapping key") == true)
        #expect(result?.diagnostics.first?.location.line == 11)
    }

    @Test func aliasesAsValuesStayAllowed() throws {
        let text =
            "id: x\nnamespace: y\nvariables:\n  a: &a [1, 2]\n  b: *a # reuse: a\n  c: [*a, *a]\n  d: {k: *a}\ntasks: []\n"
        let result = Self.parse(text)
        #expect(
            result.diagnostics.map(\.message) == ["property 'tasks' of flow must not be empty: add at least one task"])
        #expect(result.flow?.variables?["d"]?["k"]?.items?.count == 2)
    }
}
