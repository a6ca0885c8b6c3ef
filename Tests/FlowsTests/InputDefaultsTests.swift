import Flows
import Testing

/// Input defaults must be values the ledger can record: a FLOAT default is a finite number.
@Suite struct InputDefaultsTests {
    func errors(type: String, defaults: String) -> [String] {
        let source = """
            id: inputs
            namespace: company.team
            inputs:
              - id: value
                type: \(type)
                defaults: \(defaults)
            tasks:
              - id: say
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: p
                  region: europe-west9
                commands:
                  - echo hi

            """
        return FlowParser.parse(source: source, file: "inputs.yaml").diagnostics.filter { $0.severity == .error }
            .map(\.description)
    }

    @Test(
        "FLOAT defaults that are not finite, or not decimal, are refused where they are written",
        arguments: [".inf", "-.inf", ".nan", "1e999", "-1e999", "\"nan\"", "\"inf\"", "\"1e999\"", "\"0x1p3\""])
    func nonFiniteFloatDefaults(defaults: String) {
        let found = errors(type: "FLOAT", defaults: defaults)
        #expect(found.count == 1, "\(defaults): \(found)")
        #expect(
            found.first?.hasPrefix("inputs.yaml:6:15: 'defaults' of input 'value' must be a finite number") == true,
            "\(found)")
    }

    @Test("finite FLOAT defaults are accepted", arguments: ["1.5", "-2", "6.02e23", "\"2.5\"", "0", "1.7e308"])
    func finiteFloatDefaults(defaults: String) {
        #expect(errors(type: "FLOAT", defaults: defaults).isEmpty, "\(defaults)")
    }

    @Test("a refused default is quoted in at most 200 characters")
    func longDefaultIsCut() {
        let found = errors(type: "INT", defaults: String(repeating: "x", count: 5_000))
        #expect(found.count == 1)
        #expect((found.first?.count ?? 0) < 400, "\(found)")
    }
}
