import Flows
import Foundation
import Ledger
import Server
import Testing

@testable import Engine

/// A parsed flow and its source read as Kestra's `FlowWithSource`; flow diagnostics as `ValidateConstraintViolation`.
@Suite struct FlowJSONTests {
    static let source = """
        id: hello
        namespace: company.team
        description: Says hello
        labels:
          team: data
          env: dev
        inputs:
          - id: name
            type: STRING
            defaults: world
          - id: count
            type: INT
            defaults: 3
          - id: verbose
            type: BOOLEAN
            required: false
          - id: settings
            type: JSON
            defaults:
              depth: 2
        tasks:
          - id: each
            type: io.kestra.plugin.core.flow.ForEach
            values: ["a", "b"]
            tasks:
              - id: hi
                type: io.kestra.plugin.scripts.shell.Commands
                commands:
                  - echo hello {{ inputs.name }}
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: my-project
                  region: europe-west1
                  bucket: my-bucket

        """

    static func flow() throws -> Kestra.Flow {
        let result = FlowParser.parse(source: source, file: "hello.yaml")
        let parsed = try #require(result.flow, "\(result.diagnostics)")
        return Kestra.Flow(parsed, source: source, revision: 2, updated: Timestamp(seconds: 1_735_689_600, nanos: 0))
    }

    @Test func aFlowWithSourceHasEveryRequiredKeyWithItsJSONType() throws {
        let flow = try json(try Self.flow())
        #expect(flow["id"]?.string == "hello")
        #expect(flow["namespace"]?.string == "company.team")
        #expect(flow["revision"]?.int == 2)
        #expect(flow["disabled"]?.bool == false)
        #expect(flow["draft"]?.bool == false)
        #expect(flow["deleted"]?.bool == false)
        #expect(flow["source"]?.string == Self.source)
        #expect(flow["description"]?.string == "Says hello")
        #expect(flow["updated"]?.string == "2025-01-01T00:00:00.000000Z")
    }

    @Test func labelsAreAListAndInputsCarryKestrasTypeNames() throws {
        let flow = try json(try Self.flow())
        #expect(
            flow["labels"]?.array?.map { "\($0["key"]?.string ?? "")=\($0["value"]?.string ?? "")" } == [
                "team=data", "env=dev",
            ])
        let inputs = try #require(flow["inputs"]?.array)
        #expect(inputs.map { $0["id"]?.string } == ["name", "count", "verbose", "settings"])
        #expect(inputs.map { $0["type"]?.string } == ["STRING", "INT", "BOOL", "JSON"])
        #expect(inputs[0]["defaults"]?.string == "world")
        #expect(inputs[1]["defaults"]?.string == "3")
        #expect(inputs[2]["defaults"] == nil)
        #expect(inputs[2]["required"]?.bool == false)
        #expect(inputs[3]["defaults"]?["depth"]?.int == 2)
    }

    @Test func tasksAreObjectsWithIdTypeAndTheirNestedTasks() throws {
        let flow = try json(try Self.flow())
        let each = try #require(flow["tasks"]?[0])
        #expect(each["id"]?.string == "each")
        #expect(each["type"]?.string == "io.kestra.plugin.core.flow.ForEach")
        #expect(each["values"]?.array?.compactMap(\.string) == ["a", "b"])
        let hi = try #require(each["tasks"]?[0])
        #expect(hi["id"]?.string == "hi")
        #expect(hi["type"]?.string == "io.kestra.plugin.scripts.shell.Commands")
        #expect(hi["commands"]?[0]?.string == "echo hello {{ inputs.name }}")
        #expect(hi["taskRunner"]?["type"]?.string == "io.kestra.plugin.ee.gcp.runner.Batch")
    }

    @Test func aSearchResultIsTheFlowWithoutItsSource() throws {
        let flow = try Self.flow()
        let page = try json(Kestra.PagedResults(results: [flow.withoutSource], total: 7))
        #expect(page["total"]?.int == 7)
        #expect(page["results"]?[0]?["id"]?.string == "hello")
        #expect(page["results"]?[0]?["source"] == nil)
    }

    @Test func aTaskReadsBackWithItsProperties() throws {
        let flow = try Self.flow()
        let encoded = try Kestra.encoder().encode(flow)
        let decoded = try JSONDecoder().decode(Kestra.Flow.self, from: encoded)
        #expect(decoded.tasks.map(\.id) == ["each"])
        #expect(decoded.tasks[0].properties.keys == ["concurrencyLimit", "tasks", "values"])
        #expect(try Kestra.encoder().encode(decoded) == encoded)
    }

    @Test func diagnosticsBecomeConstraintsThatKeepLineAndColumn() throws {
        let broken = "id: hello\nnamespace: company.team\ntasks:\n  - id: bad id\n    type: nope\n"
        let result = FlowParser.parse(source: broken, file: "flow.yaml")
        let violation = Kestra.ValidateConstraintViolation(index: 1, result: result)
        let encoded = try json(violation)
        #expect(encoded["index"]?.int == 1)
        #expect(encoded["flow"]?.string == "hello")
        #expect(encoded["namespace"]?.string == "company.team")
        #expect(encoded["outdated"]?.bool == false)
        let constraints = try #require(encoded["constraints"]?.string)
        let lines = constraints.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.range(of: #"^flow\.yaml:\d+:\d+: "#, options: .regularExpression) != nil })
        #expect(constraints.contains("flow.yaml:5:11: unknown task type 'nope'"))
    }

    @Test func aValidFlowHasNoConstraints() throws {
        let result = FlowParser.parse(source: Self.source, file: "hello.yaml")
        let encoded = try json(Kestra.ValidateConstraintViolation(index: 0, result: result))
        #expect(encoded["constraints"] == nil)
        #expect(encoded["index"]?.int == 0)
    }
}
