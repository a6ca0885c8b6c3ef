import Foundation
import Testing

@testable import Flows

/// Kestra's core tasks (Log, Return, OutputValues, If, Switch, Sequential, Pause, Subflow), the flow's `errors`,
/// `finally`, `afterExecution` and `outputs`, read into the model with their locations.
@Suite struct CoreTasksTests {
    @Test func everyCoreTaskIsRead() throws {
        let (flow, diagnostics) = try ValidFlowsTests.parse("core-tasks.yaml")
        #expect(diagnostics.isEmpty)
        guard case .log(let log)? = flow.task(withID: "hello") else { throw ValidFlowsTests.TestFailure("hello") }
        #expect(log.messages.map(\.value) == ["first line", "second {{ flow.id }}"])
        #expect(log.level.value == .warn)
        guard case .log(let single)? = flow.task(withID: "single") else { throw ValidFlowsTests.TestFailure("single") }
        #expect(single.messages.map(\.value) == ["one line"])
        #expect(single.level.value == .info && single.level.isDefault)
        guard case .returnValue(let ret)? = flow.task(withID: "ret") else { throw ValidFlowsTests.TestFailure("ret") }
        #expect(ret.format?.value == "{{ execution.id }}")
        #expect(ret.format?.location.line == 15)
        guard case .outputValues(let values)? = flow.task(withID: "vals") else {
            throw ValidFlowsTests.TestFailure("vals")
        }
        #expect(values.values["nested"]?["n"]?.scalar?.text == "1")

        guard case .ifTask(let cond)? = flow.task(withID: "cond") else { throw ValidFlowsTests.TestFailure("cond") }
        #expect(cond.condition.value == "{{ outputs.ret.value != '' }}")
        #expect(cond.then.map(\.id.value) == ["in_then"])
        #expect(cond.otherwise.map(\.id.value) == ["in_else"])
        #expect(cond.handlers.errors.map(\.id.value) == ["cond_error"])
        #expect(cond.handlers.finally.map(\.id.value) == ["cond_finally"])

        guard case .switchTask(let sw)? = flow.task(withID: "sw") else { throw ValidFlowsTests.TestFailure("sw") }
        #expect(sw.cases.map(\.key.value) == ["A"])
        #expect(sw.cases[0].tasks.map(\.id.value) == ["case_a"])
        #expect(sw.defaults.map(\.id.value) == ["fallback"])
        guard case .sequential(let sequential)? = flow.task(withID: "fallback") else {
            throw ValidFlowsTests.TestFailure("fallback")
        }
        #expect(sequential.tasks.map(\.id.value) == ["nap", "nap2"])
        guard case .pause(let nap)? = flow.task(withID: "nap"), case .pause(let nap2)? = flow.task(withID: "nap2")
        else { throw ValidFlowsTests.TestFailure("nap") }
        #expect(nap.delay.value == .value(ISODuration(seconds: 1)))
        #expect(nap2.delay.value == .template("{{ 'PT2S' }}"), "pauseDuration is Kestra's newer name")

        guard case .subflow(let child)? = flow.task(withID: "child") else { throw ValidFlowsTests.TestFailure("child") }
        #expect(child.namespace.value == "company.team")
        #expect(child.flowId.value == "child_flow")
        #expect(child.inputs.map(\.key.value) == ["name", "count"])
    }

    @Test func flowHandlersAndOutputsAreRead() throws {
        let (flow, _) = try ValidFlowsTests.parse("core-tasks.yaml")
        #expect(flow.errors.map(\.id.value) == ["on_error"])
        #expect(flow.finally.map(\.id.value) == ["always"])
        #expect(flow.afterExecution.map(\.id.value) == ["after"])
        #expect(flow.outputs.map(\.id.value) == ["out", "n"])
        #expect(flow.outputs.map(\.type.value) == [.string, .int], "types are read without case, as Kestra's")
        #expect(flow.outputs[1].description?.value == "a count")
        // Handler tasks count as tasks of the flow (unique ids, lookups).
        #expect(flow.task(withID: "after") != nil)
        #expect(flow.task(withID: "cond_finally") != nil)
    }

    @Test func allowFailureIsASequentialWhoseFailureLetsTheFlowGoOn() throws {
        let source = """
            id: allow
            namespace: company.team
            tasks:
              - id: best_effort
                type: io.kestra.plugin.core.flow.AllowFailure
                tasks:
                  - id: inner
                    type: io.kestra.plugin.core.log.Log
                    message: a
                errors:
                  - id: on_error
                    type: io.kestra.plugin.core.log.Log
                    message: b
            """
        let result = FlowParser.parse(source: source, file: "allow.yaml")
        #expect(!result.diagnostics.containsErrors, "\(result.diagnostics.map(\.description))")
        let flow = try #require(result.flow)
        guard case .sequential(let block)? = flow.task(withID: "best_effort") else {
            throw ValidFlowsTests.TestFailure("best_effort")
        }
        #expect(block.common.allowFailure.value)
        #expect(block.common.type.value == "io.kestra.plugin.core.flow.AllowFailure")
        #expect(block.tasks.map(\.id.value) == ["inner"])
        #expect(block.handlers.errors.map(\.id.value) == ["on_error"])
    }

    @Test func handlerIDsMustBeUniqueToo() throws {
        let source = """
            id: dup
            namespace: company.team
            tasks:
              - id: same
                type: io.kestra.plugin.core.log.Log
                message: a
            finally:
              - id: same
                type: io.kestra.plugin.core.log.Log
                message: b
            """
        let result = FlowParser.parse(source: source, file: "dup.yaml")
        #expect(
            result.diagnostics.map(\.description).contains {
                $0.hasPrefix("dup.yaml:8:9: Duplicate task id with name [same]")
            })
    }
}
