import Flows
import Testing

/// Kestra's input types and their constraints: each parses, a constraint that does not apply or cannot be used is
/// an error where it is written, and SECRET is refused by name.
@Suite struct InputTypesTests {
    func errors(_ input: String) -> [String] {
        let source = """
            id: inputs
            namespace: company.team
            inputs:
              - id: value
            \(input.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
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
        "every supported type parses with its constraints and a fitting default",
        arguments: [
            "type: STRING\nvalidator: '[a-z]+'\ndefaults: abc", "type: INT\nmin: 1\nmax: 10\ndefaults: 5",
            "type: FLOAT\nmin: 0.5\ndefaults: 1.5", "type: BOOL\ndefaults: true",
            "type: DATETIME\nafter: 2020-01-01T00:00:00Z\ndefaults: 2026-12-07T10:15:30Z",
            "type: DATE\nbefore: 2030-01-01\ndefaults: 2026-12-07", "type: TIME\ndefaults: '10:15'",
            "type: DURATION\nmax: PT1H\ndefaults: PT5M", "type: URI\ndefaults: https://example.com/a.csv",
            "type: EMAIL\ndefaults: someone@example.com", "type: ENUM\nvalues: [a, b]\ndefaults: b",
            "type: SELECT\nvalues: [a, b]\nallowCustomValue: true\ndefaults: c",
            "type: MULTISELECT\nvalues: [a, b]\ndefaults: [a]", "type: ARRAY\nitemType: INT\ndefaults: [1, 2]",
            "type: YAML\ndefaults: 'a: 1'", "type: FILE\nrequired: false",
        ])
    func accepted(input: String) {
        #expect(errors(input) == [], "\(input)")
    }

    @Test(
        "constraints that cannot be used, defaults that do not fit and SECRET are errors where they are written",
        arguments: [
            ("type: SECRET", "inputs.yaml:5:11: input 'value' is of type SECRET, which BatchLedger does not support"),
            ("type: INT\nvalidator: x", "'validator' applies to STRING inputs, not INT"),
            ("type: STRING\nvalidator: '[unclosed'", "validator [unclosed is not a valid regular expression"),
            ("type: ENUM", "a ENUM input needs 'values'"), ("type: ARRAY", "an ARRAY input needs 'itemType'"),
            ("type: ARRAY\nitemType: FILE", "itemType FILE is not an item type"),
            ("type: INT\nmin: ten", "'ten' is not a bound of this input"),
            ("type: DATE\nafter: tomorrow", "'tomorrow' is not a DATE"),
            ("type: INT\nmax: 3\ndefaults: 4", "does not fit: input 'value' is an INT input of at most 3"),
            ("type: ENUM\nvalues: [a]\ndefaults: z", "is a ENUM input; give one of a"),
            ("type: FILE\ndefaults: x.txt", "'defaults' of input 'value' (FILE) is not supported"),
            ("type: DURATION\ndefaults: 5 minutes", "is a DURATION input; give an ISO-8601 duration"),
        ])
    func refused(input: String, message: String) {
        let found = errors(input)
        #expect(found.contains { $0.contains(message) }, "\(input): \(found)")
    }
}
