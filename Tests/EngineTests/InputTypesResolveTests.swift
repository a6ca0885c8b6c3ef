import Flows
import Templates
import Testing

@testable import Engine

/// Values given for each of Kestra's input types: typed as templates read them, or refused with the input named
/// and what to give.
@Suite struct InputTypesResolveTests {
    func declared(_ input: String) throws -> [FlowInput] {
        let source = """
            id: inputs
            namespace: company.team
            inputs:
              - id: v
            \(input.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                required: false
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
        return try #require(FlowParser.parse(source: source, file: "inputs.yaml").flow).inputs
    }

    @Test(
        "values of each type become template values",
        arguments: [
            ("type: INT", "42", TemplateValue.int(42)), ("type: FLOAT", "2.5", .double(2.5)),
            ("type: BOOL", "TRUE", .bool(true)),
            ("type: DATETIME", "2026-12-07T10:15:30Z", .string("2026-12-07T10:15:30Z")),
            ("type: DATE", "2026-12-07", .string("2026-12-07")), ("type: TIME", "23:59:59", .string("23:59:59")),
            ("type: DURATION", "PT1H30M", .string("PT1H30M")), ("type: URI", "gs://b/o", .string("gs://b/o")),
            ("type: ENUM\nvalues: [a, b]", "b", .string("b")),
            ("type: MULTISELECT\nvalues: [a, b, c]", "[\"a\", \"c\"]", .list([.string("a"), .string("c")])),
            ("type: ARRAY\nitemType: INT", "[1, 2]", .list([.int(1), .int(2)])),
            ("type: YAML", "a: 1\nb: [x]", .map(OrderedMap([("a", .int(1)), ("b", .list([.string("x")]))]))),
        ])
    func typed(input: String, given: String, expected: TemplateValue) throws {
        let values = try InputResolver.resolve(try declared(input), given: ["v": given])
        #expect(values["v"] == expected, "\(input) \(given)")
    }

    @Test(
        "values that do not fit are refused with the input named and what to give",
        arguments: [
            ("type: STRING\nvalidator: '[a-z]+'", "abc1", "v is a STRING input whose value must match"),
            ("type: INT\nmin: 1", "0", "v is an INT input of at least 1"),
            ("type: FLOAT\nmax: 1.5", "2", "v is a FLOAT input of at most 1.5"),
            ("type: DATETIME", "2026-12-07", "v is a DATETIME input; give an ISO-8601 instant"),
            ("type: DATETIME\nbefore: 2026-01-01T00:00:00Z", "2026-12-07T00:00:00Z", "before 2026-01-01T00:00:00Z"),
            ("type: DATE", "2026-13-40", "v is a DATE input"), ("type: TIME", "25:00", "v is a TIME input"),
            ("type: DURATION\nmin: PT1M", "PT30S", "v is a DURATION input of at least PT1M"),
            ("type: URI", "not a uri", "v is a URI input"), ("type: EMAIL", "nobody", "v is an EMAIL input"),
            ("type: ENUM\nvalues: [a, b]", "c", "v is a ENUM input; give one of a, b"),
            ("type: MULTISELECT\nvalues: [a]", "[\"z\"]", "MULTISELECT input whose items are among a"),
            ("type: ARRAY\nitemType: INT", "[1, \"x\"]", "is an INT input"),
            ("type: ARRAY\nitemType: INT", "1", "give a JSON list"),
            ("type: YAML", "a: [", "v is a YAML input and this is not YAML"),
        ])
    func refused(input: String, given: String, message: String) throws {
        let problems = try declared(input)
        #expect(throws: FlowProblems.self) { try InputResolver.resolve(problems, given: ["v": given]) }
        do {
            _ = try InputResolver.resolve(problems, given: ["v": given])
        } catch {
            #expect("\(error)".contains(message), "\(input) \(given): \(error)")
        }
    }
}
