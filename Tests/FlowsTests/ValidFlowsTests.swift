import Foundation
import Testing

@testable import Flows

/// Valid flows under `Fixtures/valid/` read into the expected model, with no error.
@Suite struct ValidFlowsTests {
    static func parse(_ name: String) throws -> (flow: Flow, diagnostics: [FlowDiagnostic]) {
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let result = FlowParser.parse(
            contentsOf: fixtures.appendingPathComponent("valid/\(name)"), file: "valid/\(name)")
        #expect(!result.diagnostics.containsErrors, "\(result.diagnostics.map(\.description))")
        return (try #require(result.flow), result.diagnostics)
    }

    static func script(_ flow: Flow, _ id: String) throws -> ScriptTask {
        guard case .script(let task)? = flow.task(withID: id) else {
            throw TestFailure("no script task '\(id)'")
        }
        return task
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func everyRunnerPropertyIsReadTyped() throws {
        let (flow, diagnostics) = try Self.parse("full-runner.yaml")
        #expect(diagnostics.isEmpty)
        #expect(flow.revision?.value == 3)
        #expect(flow.labels.map(\.key.value) == ["team", "env"])
        #expect(flow.labels[0].value.value == "Data Engineering")
        #expect(flow.inputs.map(\.type.value) == [.string, .int, .float, .boolean, .json, .json])
        #expect(flow.inputs.map(\.required.value) == [true, true, true, false, true, true])
        #expect(flow.inputs[5].defaults?["mode"]?.scalar?.text == "fast")
        #expect(flow.variables?["zones"]?.items?.count == 2)

        let task = try Self.script(flow, "train")
        #expect(task.mode == .script)
        #expect(task.common.timeout?.value == .value(ISODuration(seconds: 7_200)))
        #expect(task.common.allowFailure.value)
        let retry = try #require(task.common.retry)
        guard case .exponential(let interval, let maxInterval, let factor) = retry.kind else {
            throw TestFailure("expected an exponential retry")
        }
        #expect(interval.value == ISODuration(seconds: 10))
        #expect(maxInterval.value == ISODuration(seconds: 300))
        #expect(factor?.value == 1.5)
        #expect(retry.maxAttempts?.value == 4)
        #expect(retry.maxDuration?.value == ISODuration(seconds: 3_600))
        #expect(retry.warningOnRetry.value)
        #expect(task.interpreter.map(\.value) == ["/bin/bash", "-c"])
        #expect(task.env.map(\.name.value) == ["MODE", "THREADS"])
        #expect(task.env[1].value.value == "4")
        #expect(task.warningOnStdErr.value == .value(false))
        #expect(task.failFast.value == .template("{{ inputs.dry_run }}"))
        #expect(task.script?.value == "print(\"training\")\n")

        let runner = try #require(task.taskRunner)
        #expect(runner.machineType.value == "n1-standard-8")
        #expect(!runner.machineType.isDefault)
        #expect(runner.scopes.count == 2)
        #expect(runner.computeResource?.cpuMilli?.value == .value(4_000))
        #expect(runner.computeResource?.memoryMiB?.value == .value(16_384))
        #expect(runner.computeResource?.bootDiskMiB?.value == .value(20_480))
        #expect(runner.entryPoint.map(\.value) == ["/bin/sh", "-c"])
        #expect(runner.networkInterfaces.first?.subnetwork?.value.hasSuffix("subnetworks/batch") == true)
        #expect(runner.waitUntilCompletion.value == ISODuration(seconds: 10_800))
        #expect(runner.completionCheckInterval.value == ISODuration(seconds: 10))
        #expect(runner.waitForLogInterval.value == ISODuration(seconds: 2))
        #expect(!runner.delete.value && !runner.resume.value)
        #expect(runner.maxRetryCount.value == .template("{{ inputs.retries }}"))
        #expect(runner.maxRetryCount.value.isDynamic)
        #expect(runner.lifecyclePolicies.map(\.action.value) == [.retryTask, .failTask])
        #expect(runner.lifecyclePolicies[0].exitCodes.map(\.value) == [137, 143])
        #expect(runner.syncWorkingDirectory.value)
        #expect(runner.provisioningModel.value == .spot)
        #expect(runner.accelerators.first?.count.value == 2)
        #expect(runner.accelerators.first?.driverVersion?.value == "535")
        #expect(runner.computeServiceAccount?.value == "vm-runner@my-project.iam.gserviceaccount.com")
        #expect(runner.labels.map(\.key.value) == ["team", "cost-center", "owner"])
        #expect(runner.noExternalIpAddress.value)
        #expect(runner.computeResource?.memoryMiB?.location.line == 76)
        #expect(runner.computeResource?.memoryMiB?.location.column == 17)
    }

    @Test func flowablesNestAndDuplicateIDsAreSearchedEverywhere() throws {
        let (flow, _) = try Self.parse("nested-flowables.yaml")
        #expect(
            flow.allTasks.map(\.id.value) == [
                "fan_out", "per_region", "inner_parallel", "ping", "per_item", "echo_item", "dynamic_values", "last",
            ])
        guard case .parallel(let parallel) = flow.tasks[0] else { throw TestFailure("expected Parallel") }
        #expect(parallel.concurrent.value == 2)
        guard case .forEach(let perRegion) = parallel.tasks[0] else { throw TestFailure("expected ForEach") }
        #expect(perRegion.concurrencyLimit.value == 0)
        guard case .json(_, let items) = perRegion.values else { throw TestFailure("expected JSON values") }
        #expect(items == ["europe-west1", "europe-west9", "{\"name\":\"us\"}"])
        guard case .forEach(let perItem) = parallel.tasks[1] else { throw TestFailure("expected ForEach") }
        #expect(perItem.concurrencyLimit.value == 1)
        #expect(perItem.concurrencyLimit.isDefault)
        guard case .list(let values) = perItem.values else { throw TestFailure("expected a list") }
        #expect(values[1]["size"]?.scalar?.value == .int(2))
        guard case .forEach(let dynamic) = flow.tasks[1] else { throw TestFailure("expected ForEach") }
        #expect(
            dynamic.values
                == .template(
                    Located("{{ outputs.echo_item | keys }}", at: dynamic.common.location.with(line: 39, column: 13))))
        let ping = try Self.script(flow, "ping")
        #expect(ping.taskRunner?.type.value == BatchRunner.legacyTypeName)
        #expect(ping.taskRunner?.region.value == "{{ taskrun.value }}")
        #expect(try Self.script(flow, "last").common.disabled.value)
        #expect(try Self.script(flow, "last").language == .node)
    }

    @Test func pluginDefaultsApplyByPrefixAndForcedOnesWin() throws {
        let (flow, _) = try Self.parse("plugin-defaults.yaml")
        let first = try Self.script(flow, "uses_defaults")
        #expect(first.containerImage?.value == "ubuntu:24.04")
        #expect(first.containerImage?.location.line == 6)
        #expect(first.env.map(\.name.value).sorted() == ["FROM_DEFAULTS", "SHARED"])
        #expect(first.taskRunner?.region.value == "europe-west9")
        #expect(first.taskRunner?.bucket?.value == "default-bucket")
        #expect(first.taskRunner?.machineType.value == "n2-standard-4")

        let second = try Self.script(flow, "overrides")
        #expect(second.containerImage?.value == "python:3.13-slim")
        #expect(second.env.first { $0.name.value == "SHARED" }?.value.value == "task")
        #expect(second.env.contains { $0.name.value == "FROM_DEFAULTS" })
        #expect(second.taskRunner?.region.value == "us-central1")
        #expect(second.taskRunner?.machineType.value == "n2-standard-4")
        #expect(second.taskRunner?.bucket?.value == "default-bucket")
    }

    @Test func inputFilesFromJSONAndNamespaceFiles() throws {
        let (flow, diagnostics) = try Self.parse("scripts-and-files.yaml")
        #expect(diagnostics.isEmpty)
        let node = try Self.script(flow, "node_script")
        guard case .files(let files)? = node.inputFiles else { throw TestFailure("expected files") }
        #expect(files.map(\.name.value) == ["data/input.json", "readme.txt"])
        #expect(files[0].content.value == "{\"a\": 1}")
        #expect(node.namespaceFiles?.enabled.value == true)
        #expect(node.namespaceFiles?.enabled.isDefault == true)
        #expect(node.namespaceFiles?.exclude.map(\.value) == ["**/*.md"])
        #expect(node.outputDirectory.value)
        #expect(node.targetOS.value == "LINUX")
        #expect(node.effectiveContainerImage == "node")
        let shell = try Self.script(flow, "shell_script")
        #expect(
            shell.inputFiles
                == .template(
                    Located(
                        "{{ outputs.node_script.outputFiles | json }}",
                        at: SourceLocation(file: "valid/scripts-and-files.yaml", line: 28, column: 17))))
        #expect(shell.effectiveContainerImage == "ubuntu")
    }

    @Test func missingTaskRunnerIsOnlyAWarning() {
        let text = """
            id: local
            namespace: company.team
            tasks:
              - id: hello
                type: io.kestra.plugin.scripts.shell.Commands
                commands: [echo hi]
            """
        let result = FlowParser.parse(source: text, file: "w.yaml")
        #expect(result.isValid)
        #expect(
            result.diagnostics.map(\.description) == [
                "w.yaml:4:5: warning: task 'hello' has no taskRunner: BatchLedger runs script tasks on "
                    + "io.kestra.plugin.ee.gcp.runner.Batch; add a taskRunner (or a pluginDefaults entry for it)"
            ])
        #expect(validate(source: text, file: "w.yaml").count == 1)
    }
}

extension Flows.SourceLocation {
    func with(line: Int, column: Int) -> Flows.SourceLocation {
        Flows.SourceLocation(file: file, line: line, column: column)
    }
}

extension ValidFlowsTests {
    @Test func pluginDefaultsCanCarryTheTaskRunner() throws {
        let text = """
            id: runner_from_defaults
            namespace: company.team
            pluginDefaults:
              - type: io.kestra.plugin.scripts
                values:
                  taskRunner:
                    type: io.kestra.plugin.ee.gcp.runner.Batch
                    region: europe-west9
                    bucket: shared-bucket
            tasks:
              - id: a
                type: io.kestra.plugin.scripts.shell.Commands
                outputFiles: [a.txt]
                commands: [touch a.txt]
              - id: b
                type: io.kestra.plugin.scripts.python.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  machineType: n2-standard-2
                commands: [python -V]
            """
        let result = FlowParser.parse(source: text, file: "d.yaml")
        #expect(result.diagnostics.map(\.description) == [])
        let flow = try #require(result.flow)
        let a = try Self.script(flow, "a")
        #expect(a.taskRunner?.region.value == "europe-west9")
        #expect(a.taskRunner?.region.location.line == 8)
        #expect(a.taskRunner?.bucket?.value == "shared-bucket")
        let b = try Self.script(flow, "b")
        #expect(b.taskRunner?.machineType.value == "n2-standard-2")
        #expect(b.taskRunner?.region.value == "europe-west9")
    }
}

extension ValidFlowsTests {
    static func retryFlow(_ retry: String) -> String {
        """
        id: retries
        namespace: company.team
        tasks:
          - id: t
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner: {type: io.kestra.plugin.ee.gcp.runner.Batch, region: europe-west9}
            commands: [exit 1]
            retry:
        \(retry)
        """
    }

    @Test func retryReadsKestrasOldAndNewAttemptNames() throws {
        let old = FlowParser.parse(
            source: Self.retryFlow("      type: constant\n      interval: PT1S\n      maxAttempt: 2"), file: "r.yaml")
        #expect(old.diagnostics.isEmpty)
        guard case .script(let task)? = old.flow?.tasks.first else { throw TestFailure("expected a script task") }
        #expect(task.common.retry?.maxAttempts?.value == 2)
        #expect(
            task.common.retry?.kind
                == .constant(
                    interval: Located(
                        ISODuration(seconds: 1), at: Flows.SourceLocation(file: "r.yaml", line: 10, column: 17))))

        let both = FlowParser.parse(
            source: Self.retryFlow(
                "      type: constant\n      interval: PT1S\n      maxAttempt: 2\n      maxAttempts: 3"),
            file: "r.yaml")
        #expect(
            both.diagnostics.map(\.description) == [
                "r.yaml:11:7: 'maxAttempt' and 'maxAttempts' are the same property: keep only 'maxAttempts'"
            ])

        let unbounded = FlowParser.parse(
            source: Self.retryFlow("      type: random\n      minInterval: PT1S\n      maxInterval: PT2S"),
            file: "r.yaml")
        #expect(unbounded.isValid)
        #expect(
            unbounded.diagnostics.map(\.description) == [
                "r.yaml:9:7: warning: retry has neither 'maxAttempts' nor 'maxDuration', so a failing task is retried "
                    + "forever: add maxAttempts: 3"
            ])
    }
}

extension ValidFlowsTests {
    @Test func aBadPluginDefaultIsReportedOnceWhateverTheNumberOfTasks() {
        let text = """
            id: broad_defaults
            namespace: company.team
            pluginDefaults:
              - type: io.kestra.plugin.core.flow
                values:
                  concurency: 2
            tasks:
              - id: a
                type: io.kestra.plugin.core.flow.Parallel
                tasks: [{id: a1, type: io.kestra.plugin.core.flow.Parallel, tasks: [{id: a2, type: io.kestra.plugin.core.flow.Parallel, tasks: []}]}]
            """
        let result = FlowParser.parse(source: text, file: "p.yaml")
        #expect(
            result.diagnostics.filter { $0.message.contains("concurency") }.map(\.description) == [
                "p.yaml:6:7: unknown property 'concurency' for io.kestra.plugin.core.flow.Parallel (did you mean 'concurrent'?)"
            ])
    }
}

extension ValidFlowsTests {
    @Test func runnerLabelsLeaveRoomForTheRunnersOwn() {
        func flow(labels count: Int) -> String {
            let labels = (0..<count).map { "        l\($0): v" }.joined(separator: "\n")
            return """
                id: many_labels
                namespace: company.team
                tasks:
                  - id: t
                    type: io.kestra.plugin.scripts.shell.Commands
                    commands: [echo]
                    taskRunner:
                      type: io.kestra.plugin.ee.gcp.runner.Batch
                      region: europe-west9
                      labels:
                \(labels)
                """
        }
        #expect(FlowParser.parse(source: flow(labels: 58), file: "l.yaml").isValid)
        #expect(
            FlowParser.parse(source: flow(labels: 59), file: "l.yaml").diagnostics.map(\.description) == [
                "l.yaml:11:9: io.kestra.plugin.ee.gcp.runner.Batch has 59 labels; a Batch job may have 64 and the runner "
                    + "sets 6, so at most 58 are allowed"
            ])
    }
}
