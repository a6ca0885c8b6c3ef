import Foundation
import GoogleCloud
import Ledger
import Templates
import Testing

@testable import Engine
@testable import Flows

/// A one-task flow whose Batch runner has the given extra lines (indented under `taskRunner:`), parsed.
struct MappingFlow {
    var runnerLines: String = ""
    var taskLines: String = "commands:\n  - echo hi"
    var taskType = "io.kestra.plugin.scripts.shell.Commands"

    var source: String {
        """
        id: mapping
        namespace: company.team
        variables:
          machine: n2-highmem-4
          network: projects/host/global/networks/from-vars
        inputs:
          - id: retries
            type: INT
            defaults: 3
          - id: memory
            type: STRING
            defaults: 2GiB
        tasks:
          - id: work
            type: \(taskType)
        \(indent(taskLines, by: 4))
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: my-project
              region: europe-west9
        \(indent(runnerLines, by: 6))
        """
    }

    private func indent(_ text: String, by spaces: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : String(repeating: " ", count: spaces) + $0 }
            .joined(separator: "\n")
    }

    /// The parsed script task (the flow must be valid).
    func task() throws -> ScriptTask {
        let result = FlowParser.parse(source: source, file: "mapping.yaml")
        #expect(result.diagnostics.filter { $0.severity == .error }.map(\.description) == [])
        let flow = try #require(result.flow)
        guard case .script(let task) = try #require(flow.tasks.first) else {
            throw TestFailure(description: "the first task of the flow is not a script task")
        }
        return task
    }
}

/// Renders a flow's only task for attempt 1 the way `ScriptTaskRun` does, without any I/O.
struct RenderedAttempt {
    static let workingDir = "wd0123456789abcdefghij"
    static let executionId = "0123456789abcdefghjkmnpqrs"

    var job: BatchJob
    var rendered: TaskRenderer.Rendered
    var placement: TaskRenderer.Placement

    /// With `text` (the flow's source), template errors are placed exactly, as a run places them.
    init(_ flow: MappingFlow, timeout: Duration? = nil, text: FlowText? = nil) throws {
        let task = try flow.task()
        let runner = try #require(task.taskRunner)
        let parsed = try #require(FlowParser.parse(source: flow.source, file: "mapping.yaml").flow)
        var vars = OrderedMap()
        if let node = parsed.variables, case .map(let map) = Convert.templateValue(node) { vars = map }
        let variables = RunVariables(
            flow: .init(id: "mapping", namespace: "company.team"),
            execution: .init(id: Self.executionId, startDate: "2025-01-01T00:00:00Z"),
            task: .init(id: task.id.value, type: task.common.type.value, runId: task.id.value, attemptsCount: 1),
            inputs: ["retries": .int(3), "memory": .string("2GiB")], vars: vars)
        let renderer = TaskRenderer(
            task: task, runner: runner, baseVariables: variables, secrets: SecretStore(), environment: [:],
            namespaceFiles: [:], knownFiles: [:], readNamespaceFile: nil, text: text)
        let secretsUsed = TaskRenderer.SecretLedger(key: SecretDigestKey(bytes: Array(repeating: 7, count: 32))!)
        placement = try renderer.placement(secretsUsed)
        let provisioning = AttemptRetry.provisioning(
            requested: ScriptTaskRun.model(runner.provisioningModel.value), spotPreemptions: 0,
            spotAttemptsBeforeStandard: 2)
        let started = AttemptStarted(
            taskRunId: task.id.value, taskId: task.id.value, value: nil, attempt: 1, workingDirId: Self.workingDir,
            jobId: "job-1", requestId: "request-1", project: placement.project, projectSecret: nil,
            region: placement.region, bucket: placement.bucket, bucketSecret: nil,
            provisioningModel: provisioning.name)
        let labels = try renderer.jobLabels(
            namespace: "company.team", flowId: "mapping", taskId: task.id.value, executionId: Self.executionId,
            taskRunId: task.id.value, attempt: 1, secretsUsed: secretsUsed)
        rendered = try renderer.render(
            started: started, placement: placement, provisioningModel: provisioning,
            timeout: timeout ?? runner.waitUntilCompletion.value.duration, secretsUsed: secretsUsed, outputDirID: nil,
            labels: labels)
        job = rendered.job
    }

    /// The job as `jobs.create` receives it, parsed back as generic JSON.
    func json() throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(job)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The value at a dotted path of the request JSON (`allocationPolicy.instances.0.policy.machineType`), or nil.
    func value(_ path: String) throws -> Any? {
        var current: Any? = try json()
        for part in path.split(separator: ".") {
            if let index = Int(part) {
                guard let array = current as? [Any], array.indices.contains(index) else { return nil }
                current = array[index]
            } else {
                current = (current as? [String: Any])?[String(part)]
            }
        }
        return current
    }

    func string(_ path: String) throws -> String? { try value(path) as? String }
}

/// A deterministic random source (SplitMix64), for `random` retries.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
}

/// A location for values built in tests.
let testLocation = Flows.SourceLocation(file: "test.yaml", line: 1, column: 1)

func located<T: Sendable>(_ value: T) -> Located<T> { Located(value, at: testLocation) }
