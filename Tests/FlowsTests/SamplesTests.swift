import Foundation
import Testing

@testable import Flows

/// The two flows of Kestra's Google Batch task runner page, kept unchanged in `Samples/`.
@Suite struct SamplesTests {
    static let samplesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Samples")

    static func parseSample(_ name: String) -> FlowParseResult {
        FlowParser.parse(contentsOf: samplesDirectory.appendingPathComponent(name), file: "Samples/\(name)")
    }

    @Test(arguments: ["gcp_batch_runner.yaml", "gcp_batch_runner_full_setup.yaml"])
    func sampleValidatesWithoutAnyDiagnostic(name: String) throws {
        let result = Self.parseSample(name)
        #expect(result.diagnostics.map(\.description) == [])
        #expect(result.isValid)
        let flow = try #require(result.flow)
        #expect(flow.id.value == "gcp_batch_runner")
        #expect(flow.namespace.value == "company.team")
        #expect(flow.namespace.location == SourceLocation(file: "Samples/\(name)", line: 2, column: 12))
        #expect(flow.variables?["region"]?.scalar?.text.hasPrefix("europe-west") == true)
    }

    @Test func firstSampleModelKeepsTemplatesAndDefaults() throws {
        let flow = try #require(Self.parseSample("gcp_batch_runner.yaml").flow)
        #expect(flow.tasks.count == 1)
        guard case .script(let task) = try #require(flow.tasks.first) else {
            Issue.record("expected a script task")
            return
        }
        #expect(task.id.value == "scrape_environment_info")
        #expect(task.id.location.line == 8)
        #expect(task.id.location.column == 9)
        #expect(task.language == .python)
        #expect(task.mode == .commands)
        #expect(task.containerImage?.value == "ghcr.io/kestra-io/pydata:latest")
        #expect(task.commands.map(\.value) == ["python {{ workingDir }}/main.py"])
        #expect(task.outputFiles.map(\.value) == ["environment_info.json"])
        #expect(task.namespaceFiles?.enabled.value == true)
        #expect(task.warningOnStdErr.value == .value(true))
        #expect(task.warningOnStdErr.isDefault)
        #expect(task.failFast.value == .value(true))
        #expect(task.interpreter.map(\.value) == ["/bin/sh", "-c"])
        guard case .files(let files)? = task.inputFiles else {
            Issue.record("expected inputFiles as a mapping")
            return
        }
        #expect(files.map(\.name.value) == ["main.py"])
        #expect(files[0].content.value.hasPrefix("import platform\nimport socket\n"))
        #expect(files[0].content.value.contains("filename = '{{ workingDir }}/environment_info.json'"))

        let runner = try #require(task.taskRunner)
        #expect(runner.type.value == BatchRunner.typeName)
        #expect(runner.projectId?.value == "{{ secret('GCP_PROJECT_ID') }}")
        #expect(runner.region.value == "{{ vars.region }}")
        #expect(runner.region.location.line == 14)
        #expect(runner.region.isTemplate)
        #expect(!runner.machineType.isTemplate)
        #expect(runner.bucket?.value == "{{ secret('GCS_BUCKET') }}")
        #expect(runner.serviceAccount?.value == "{{ secret('GOOGLE_SA') }}")
        #expect(runner.machineType.value == "e2-medium")
        #expect(runner.machineType.isDefault)
        #expect(runner.waitUntilCompletion.value == ISODuration(seconds: 3_600))
        #expect(runner.completionCheckInterval.value == ISODuration(seconds: 5))
        #expect(runner.waitForLogInterval.value == ISODuration(seconds: 5))
        #expect(runner.delete.value && runner.resume.value)
        #expect(runner.maxRetryCount.value == .value(0))
        #expect(runner.scopes.map(\.value) == ["https://www.googleapis.com/auth/cloud-platform"])
        #expect(runner.provisioningModel.value == .standard)
        #expect(runner.computeResource == nil)
    }
}
