import Testing

@testable import Flows

/// Durations, sizes, labels, paths and scalar typing: the value rules the parser relies on.
@Suite struct ValuesTests {
    @Test(arguments: [
        ("PT1H", 3_600.0), ("pt5s", 5), ("PT0.5S", 0.5), ("P1DT2H30M", 95_400), ("P2D", 172_800),
        ("PT1M30S", 90), ("30s", 30), ("500ms", 0.5), ("5m", 300), ("1h", 3_600), ("2d", 172_800), ("90", 90),
        ("1.25", 1.25), ("PT1,5S", 1.5),
    ])
    func durationsInEveryAcceptedForm(text: String, seconds: Double) throws {
        let duration = try #require(ISODuration.parse(text))
        #expect(duration.seconds == seconds)
    }

    @Test(arguments: ["", "P", "PT", "P1H", "PT1D", "1 hour", "PT1H1H", "PT1S1M", "P1.5D", "P1Y", "P1W", "5x"])
    func invalidDurationsAreRefused(text: String) {
        #expect(ISODuration.parse(text) == nil)
    }

    @Test func durationsPrintAsISO() {
        #expect(ISODuration(seconds: 3_600).description == "PT1H")
        #expect(ISODuration(seconds: 5_430).description == "PT1H30M30S")
        #expect(ISODuration(nanoseconds: 1_500_000_000).description == "PT1.5S")
        #expect(ISODuration(seconds: 0).description == "PT0S")
        #expect(ISODuration(seconds: .max).nanoseconds == .max)
        #expect(ISODuration(seconds: .min).description.hasPrefix("-PT2562047H"))
        #expect(ISODuration.parse("PT99999999999999999999S") == nil)
        #expect(
            ISODuration.parse(ISODuration(nanoseconds: 86_400_250_000_000).description)?.nanoseconds
                == 86_400_250_000_000)
    }

    @Test(arguments: [
        ("1024", 1_024), ("20GiB", 20_480), ("20 GiB", 20_480), ("512MiB", 512), ("512mib", 512), ("2GB", 2_048),
        ("1.5GiB", 1_536), ("1TiB", 1_048_576), ("1048576B", 1), ("1024KiB", 1), ("2G", 2_048), ("8192M", 8_192),
    ])
    func sizesConvertToMebibytes(text: String, mebibytes: Int) {
        #expect(MebibyteSize.parse(text) == .mebibytes(mebibytes))
    }

    @Test func sizesThatAreNotWholeMebibytesOrNotSizes() {
        #expect(MebibyteSize.parse("1.5KiB") == .notWholeMebibytes)
        #expect(MebibyteSize.parse("100B") == .notWholeMebibytes)
        #expect(MebibyteSize.parse("lots") == .invalid)
        #expect(MebibyteSize.parse("") == .invalid)
        #expect(MebibyteSize.parse("12PB") == .invalid)
        #expect(MebibyteSize.parse("1.2.3GiB") == .invalid)
        #expect(MebibyteSize.parse("-5GiB") == .invalid)
    }

    @Test func googleLabelRules() {
        #expect(GoogleLabelRules.keyProblem("team") == nil)
        #expect(GoogleLabelRules.keyProblem("cost_center-2") == nil)
        #expect(GoogleLabelRules.keyProblem("équipe") == nil)
        #expect(GoogleLabelRules.keyProblem("Team") != nil)
        #expect(GoogleLabelRules.keyProblem("") != nil)
        #expect(GoogleLabelRules.keyProblem("1team") != nil)
        #expect(GoogleLabelRules.keyProblem(String(repeating: "a", count: 64)) != nil)
        #expect(GoogleLabelRules.keyProblem("goog-x") != nil)
        #expect(GoogleLabelRules.keyProblem("kestra-task-id") != nil)
        #expect(GoogleLabelRules.valueProblem("") == nil)
        #expect(GoogleLabelRules.valueProblem("europe-west9_b") == nil)
        #expect(GoogleLabelRules.valueProblem("company.team") != nil)
        #expect(GoogleLabelRules.valueProblem("Data") != nil)
        #expect(GoogleLabelRules.valueProblem(String(repeating: "a", count: 64)) != nil)
    }

    @Test func workingDirectoryPaths() {
        for ok in ["out.txt", "a/b/*.csv", "**/*.json", "glob:out/**", "{{ inputs.name }}.txt", "a..b", "./x"] {
            #expect(WorkingDirectoryPath.problem(ok) == nil, "\(ok)")
        }
        for bad in [
            "/etc/passwd", "../x", "a/../../x", "a\\..\\x", "C:\\x", "~/.ssh/id_rsa", "", "glob:/x",
            "{{workingDir}}/x", "regex:../.*",
        ] {
            #expect(WorkingDirectoryPath.problem(bad) != nil, "\(bad)")
        }
    }

    @Test func suggestionsFindTyposOnly() {
        let known = ["machineType", "reservation", "region", "bucket"]
        #expect(Suggestion.closest(to: "machineTyp", in: known) == "machineType")
        #expect(Suggestion.closest(to: "MachineType", in: known) == "machineType")
        #expect(Suggestion.closest(to: "regoin", in: known) == "region")
        #expect(Suggestion.closest(to: "completelyDifferent", in: known) == nil)
    }

    @Test func plainScalarsFollowTheCoreSchema() {
        func value(_ text: String, _ style: YAMLScalar.Style = .plain) -> YAMLScalar.Value {
            YAMLScalar(text: text, style: style).value
        }
        #expect(value("42") == .int(42))
        #expect(value("-7") == .int(-7))
        #expect(value("0x1F") == .int(31))
        #expect(value("0o17") == .int(15))
        #expect(value("1e3") == .float(1_000))
        #expect(value(".5") == .float(0.5))
        #expect(value("true") == .bool(true))
        #expect(value("FALSE") == .bool(false))
        #expect(value("yes") == .string("yes"))
        #expect(value("~") == .null)
        #expect(value("") == .null)
        #expect(value("42", .quoted) == .string("42"))
        #expect(value("1.2.3") == .string("1.2.3"))
        #expect(YAMLScalar(text: "a {{ b }}", style: .plain).isTemplate)
        #expect(YAMLScalar(text: "{% if x %}", style: .quoted).isTemplate)
        #expect(!YAMLScalar(text: "{ not }", style: .quoted).isTemplate)
    }

    @Test func pluginDefaultTypeMatchingIsAPrefix() {
        let location = Flows.SourceLocation(file: "f", line: 1, column: 1)
        let entry = PluginDefault(
            type: Located("io.kestra.plugin.scripts", at: location), forced: Located(false, at: location),
            values: YAMLNode(.mapping([]), at: location), location: location)
        #expect(entry.applies(to: "io.kestra.plugin.scripts.python.Commands"))
        #expect(!entry.applies(to: "io.kestra.plugin.core.flow.Parallel"))
    }

    @Test func diagnosticsPrintAndSort() {
        let a = FlowDiagnostic("b", at: Flows.SourceLocation(file: "f.yaml", line: 2, column: 1))
        let b = FlowDiagnostic("a", at: Flows.SourceLocation(file: "f.yaml", line: 1, column: 9), severity: .warning)
        #expect(a.description == "f.yaml:2:1: b")
        #expect(b.description == "f.yaml:1:9: warning: a")
        #expect([a, b].sortedByPosition() == [b, a])
        #expect([b].containsErrors == false)
    }
}
