import Foundation
import Templates
import Testing

@testable import Engine
@testable import Flows

/// `FlowCheck`: every problem a run would meet that the file already shows, each at its FILE:LINE:COLUMN.
@Suite struct FlowCheckTests {
    static func check(_ source: String, file: String, secrets: SecretStore? = nil) -> [String] {
        FlowCheck.check(source: source, file: file, secrets: secrets).map(\.description)
    }

    static let order = """
        id: order
        namespace: company.team
        tasks:
          - id: first
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: my-project
              region: europe-west1
            commands:
              - echo {{ outputs.first.vars.a }} {{ outputs.later.vars.b }} {{ outputs.fan.vars.c }}
          - id: fan
            type: io.kestra.plugin.core.flow.Parallel
            tasks:
              - id: left
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: my-project
                  region: europe-west1
                commands:
                  - echo {{ outputs.first.exitCode }} {{ outputs.right.vars.d }} {{ outputs.frist }}
              - id: right
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: my-project
                  region: europe-west1
                commands:
                  - echo {{ outputs.first.outputFiles }} {{ outputs.first.stdout }}
          - id: each
            type: io.kestra.plugin.core.flow.ForEach
            values: "{{ outputs.left.vars.regions }}"
            tasks:
              - id: probe
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: my-project
                  region: "{{ taskrun.value }}"
                commands:
                  - echo {{ outputs.right.state }}
              - id: report
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: my-project
                  region: europe-west1
                commands:
                  - echo {{ outputs.probe[taskrun.value].vars.x }}
          - id: off
            type: io.kestra.plugin.scripts.shell.Commands
            disabled: true
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              region: "{{ nothing.at.all }}"
            commands:
              - echo {{ outputs.never }}
          - id: later
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: my-project
              region: europe-west1
            commands:
              - echo {{ outputs.probe | keys }} {{ outputs.off.vars.x }} {{ taskrun.value }}
        """

    static let places = """
        id: places
        namespace: company.team
        inputs:
          - id: size
            type: INT
            defaults: 2
        variables:
          zone: b
          list: [1, 2]
        labels:
          team: data
        pluginDefaults:
          - type: io.kestra.plugin.ee.gcp.runner.Batch
            values:
              projectId: "{{ secret('GCP_PROJECT_ID') }}-{{ secret('PROJECT_SUFFIX') }}"
        tasks:
          - id: job
            type: io.kestra.plugin.scripts.shell.Commands
            timeout: "{{ workingDir }}"
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              region: "{{ vars.zone }}-{{ labels.team }}-{{ labels.owner }}"
              machineType: "{{ outputDir }}"
            env:
              SIZE: "{{ inputs.size }} {{ inputs.sise }}"
            commands:
              - cd {{ workingDir }} && ls {{ outputDir }} {{ bucketPath }}
              - echo {{ vars.list[2] }} {{ flow.id }} {{ flow.namspace }} {{ task.id }} {{ execution.id }} {{ envs.home }}
        """

    static let runner = """
        id: runner
        namespace: company.team
        tasks:
          - id: no_project
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              region: europe-west1
              bucket: gs://my-bucket
            commands:
              - echo hi
          - id: empty
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: ""
              region: ""
              bucket: "{{ vars.bucket ?? 'Not_Checked' }}"
            commands:
              - echo hi
          - id: local
            type: io.kestra.plugin.scripts.shell.Commands
            commands:
              - echo {{ nope }}
        """

    static let syntax = """
        id: syntax
        namespace: company.team
        tasks:
          - id: t
            type: io.kestra.plugin.scripts.python.Script
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: my-project
              region: europe-west1
            beforeCommands:
              - >
                pip install
                {{ vars.pkgs | join(' ' }}
            script: |
              import os
              print("{{ inputs.name }}")
              print({{ 1 + }})
            inputFiles:
              data.txt: "line one\\n\\t{{ 'unterminated }}"
              "{{ inputs.file }}.txt": x
        """

    @Test(
        "outputs: only of tasks that ended before, not its own, a later one's, a parallel branch's or a disabled one's")
    func outputsFollowTheRunOrder() {
        #expect(
            Self.check(Self.order, file: "order.yaml") == [
                "order.yaml:11:25: undefined variable 'outputs.first' (a task cannot read its own outputs: they exist once it has ended)",
                "order.yaml:11:52: undefined variable 'outputs.later' (task 'later' runs after task 'first': a task reads the outputs of tasks that ended before it)",
                "order.yaml:11:79: undefined variable 'outputs.fan' (task 'fan' is a Parallel task: it has no outputs of its own; read those of the tasks in it)",
                "order.yaml:22:58: undefined variable 'outputs.right' (task 'right' runs in parallel with task 'left' (both in Parallel 'fan'): it may not have ended)",
                "order.yaml:22:85: undefined variable 'outputs.frist' (if it may be missing, use '?? fallback' or '| default(fallback)')",
                "order.yaml:30:67: undefined variable 'outputs.first.stdout' (if it may be missing, use '?? fallback' or '| default(fallback)')",
                "order.yaml:66:52: undefined variable 'outputs.off' (task 'off' is disabled: it never runs, so it has no outputs)",
                "order.yaml:66:77: undefined variable 'taskrun.value' (only tasks inside a ForEach have it)",
            ])
    }

    @Test("roots and keys: inputs, variables, labels, flow; workingDir, outputDir and bucketPath only where they exist")
    func variablesDependOnWhereATemplateIsRendered() {
        #expect(
            Self.check(Self.places, file: "places.yaml") == [
                "places.yaml:19:18: undefined variable 'workingDir' (the task runner's properties, timeout and warningOnStdErr are rendered before the job and its working directory exist)",
                "places.yaml:22:60: undefined variable 'labels.owner' (if it may be missing, use '?? fallback' or '| default(fallback)')",
                "places.yaml:23:24: undefined variable 'outputDir' (the task runner's properties, timeout and warningOnStdErr are rendered before the job and its working directory exist)",
                "places.yaml:25:42: undefined variable 'inputs.sise' (did you mean 'inputs.size'?)",
                "places.yaml:27:38: undefined variable 'outputDir' (it is defined only when the task sets outputDirectory: true)",
                "places.yaml:27:54: undefined variable 'bucketPath' (it is defined only when the task runner has a bucket)",
                "places.yaml:28:26: index 2 is out of range for 'vars.list' (2 items)",
                "places.yaml:28:55: undefined variable 'flow.namspace' (did you mean 'flow.namespace'?)",
            ])
    }

    @Test("with secrets, every secret a template names must be defined; the values never show")
    func secretsAreCheckedWhenGiven() throws {
        let file = try SecretsFile(contents: "GCP_PROJECT_ID=top-secret-project\n", path: "s.env")
        let found = Self.check(Self.places, file: "places.yaml", secrets: SecretStore(environment: [:], file: file))
        #expect(
            found.first
                == "places.yaml:15:53: secret 'PROJECT_SUFFIX' is not defined: set SECRET_PROJECT_SUFFIX (Base64) in the environment or add PROJECT_SUFFIX=... to the secrets file"
        )
        #expect(found.count == 9)
        #expect(!found.joined().contains("top-secret-project"))
    }

    @Test("runner properties a run refuses: no projectId, an empty projectId or region, a bucket name Google refuses")
    func runnerProperties() {
        #expect(
            Self.check(Self.runner, file: "runner.yaml") == [
                "runner.yaml:7:7: the task runner has no projectId: set projectId (for example \"{{ secret('GCP_PROJECT_ID') }}\")",
                "runner.yaml:9:15: bucket 'gs://my-bucket' is not a valid Cloud Storage bucket name: write the bucket's name without 'gs://' (the runner adds it)",
                "runner.yaml:16:18: projectId rendered to an empty string",
                "runner.yaml:17:15: region rendered to an empty string",
                "runner.yaml:21:5: warning: task 'local' has no taskRunner: BatchLedger runs script tasks on io.kestra.plugin.ee.gcp.runner.Batch; add a taskRunner (or a pluginDefaults entry for it)",
                "runner.yaml:24:17: undefined variable 'nope' (if it may be missing, use '?? fallback' or '| default(fallback)')",
            ])
    }

    @Test("syntax errors at their place inside folded, literal and quoted scalars, and in keys")
    func syntaxErrorsInsideScalars() {
        #expect(
            Self.check(Self.syntax, file: "syntax.yaml") == [
                "syntax.yaml:7:7: warning: io.kestra.plugin.ee.gcp.runner.Batch has no 'bucket': inputFiles and namespaceFiles are not uploaded without one",
                "syntax.yaml:13:33: expected ')' to close the argument list opened at column 32 but found '}}'",
                "syntax.yaml:17:20: expected an expression but found '}}'",
                "syntax.yaml:19:33: unterminated string: add the closing '",
                "syntax.yaml:20:18: undefined variable 'inputs.file' (if it may be missing, use '?? fallback' or '| default(fallback)')",
            ])
    }
}

extension FlowCheckTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("a template error a run meets when it renders is where the check puts it, with the same message")
    func runAndCheckAgree() throws {
        let flows = [
            MappingFlow(
                taskLines: "commands:\n  - |\n    echo start\n      echo {{ inputs.retries }} {{ inputs.nope }}"),
            MappingFlow(taskLines: "commands:\n  - \"echo \\\"{{ vars.machine }}\\\"\\t{{ vars.machin }}\""),
            MappingFlow(taskLines: "commands:\n  - >\n    one\n    two {{ 'a' | uper }}"),
            MappingFlow(runnerLines: "machineType: \"{{ inputs.retries }}{{ workingDir }}\""),
        ]
        for flow in flows {
            let thrown = try #require(
                throws: TemplateError.self, "\(flow.source)",
                performing: { _ = try RenderedAttempt(flow, text: FlowText(flow.source)) })
            let errors = FlowCheck.check(source: flow.source, file: "mapping.yaml").filter { $0.severity == .error }
            let found = try #require(errors.first, "\(flow.source)")
            #expect(errors.count == 1, "\(errors)")
            #expect(found.location.description == thrown.location.description, "\(flow.source)")
            #expect(found.message.hasPrefix(thrown.message.components(separatedBy: " (")[0]), "\(found) vs \(thrown)")
        }
    }

    @Test("a bucket name that a template renders is checked by the run, at the bucket's place")
    func renderedBucketName() throws {
        let flow = MappingFlow(runnerLines: "bucket: \"{{ inputs.memory }}\"")
        #expect(FlowCheck.check(source: flow.source, file: "mapping.yaml").filter { $0.severity == .error }.isEmpty)
        let problems = try #require(throws: FlowProblems.self) { _ = try RenderedAttempt(flow) }
        #expect(
            problems.problems == [
                "mapping.yaml:22:15: bucket '2GiB' is not a valid Cloud Storage bucket name: bucket names are "
                    + "lowercase: write '2gib'"
            ])
    }

    @Test("roots Kestra defines and a run here does not say what to write instead")
    func kestraOnlyRoots() {
        let flow = MappingFlow(taskLines: "commands:\n  - echo {{ variables.machine }} {{ parent.taskrun.value }}")
        #expect(
            Self.check(flow.source, file: "mapping.yaml") == [
                "mapping.yaml:17:17: undefined variable 'variables' (the flow's variables are read as vars.NAME)",
                "mapping.yaml:17:41: undefined variable 'parent' (a run here does not define it: inside a ForEach, the "
                    + "current value is taskrun.value)",
            ])
    }

    @Test("the samples and the end-to-end flows that run check with no error, their secrets given")
    func runnableFlowsHaveNoError() throws {
        let secrets = SecretStore(
            environment: [:],
            file: try SecretsFile.load(from: Self.repository.appendingPathComponent("Samples/local.env").path))
        var files: [URL] = []
        for folder in ["Samples", "Tests/EndToEndTests/Fixtures", "Tests/FlowsTests/Fixtures/valid"] {
            let url = Self.repository.appendingPathComponent(folder)
            files += try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
                .filter {
                    $0.pathExtension == "yaml"
                        && !["bad_flow.yaml", "missing_secret.yaml"].contains($0.lastPathComponent)
                }
        }
        #expect(files.count >= 15)
        for file in files {
            let errors = FlowCheck.check(
                source: try String(contentsOf: file, encoding: .utf8), file: file.lastPathComponent, secrets: secrets
            ).filter { $0.severity == .error }
            #expect(errors.isEmpty, "\(errors.map(\.description))")
        }
    }

    @Test("references a render tolerates or never reaches are not errors")
    func toleratedReferences() {
        let flow = """
            id: tolerant
            namespace: company.team
            inputs:
              - id: mode
                type: STRING
                required: false
            tasks:
              - id: only
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: my-project
                  region: "{{ inputs.region ?? 'europe-west1' }}"
                commands:
                  - echo {{ inputs.extra | default('none') }} {{ outputs.missing.vars.x ??? '' }}
                  - "{% if inputs.other is defined %}{{ inputs.other }}{% endif %}"
                  - "{% for r in ['a', 'b'] %}{% set last = r %}{{ loop.index }}{{ r }}{% endfor %}"
                  - echo {{ envs.home ?? '' }} {{ inputs.mode }} {{ execution.startDate }} {{ taskrun.attemptsCount }}
                  - echo { not a template } ${HOME} '{print $1}'
            """
        #expect(Self.check(flow, file: "t.yaml") == [])
    }

    @Test("the data overload refuses text that is not UTF-8 as the parser does")
    func bytesThatAreNotText() {
        let result = FlowCheck.result(data: Data([0x69, 0x64, 0x3A, 0xFF]), file: "b.yaml")
        #expect(result.flow == nil)
        #expect(result.diagnostics.first?.message.hasPrefix("file is not valid UTF-8") == true)
    }
}
