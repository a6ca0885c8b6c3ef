import Foundation
import GoogleCloud
import Testing

@testable import Engine
@testable import Flows

/// The mapping from a flow's Batch runner to the `jobs.create` request, property by property, read from the
/// request's JSON as Batch receives it.
@Suite struct BatchJobRequestTests {
    @Test func aRunnerWithOnlyItsRequiredPropertiesSendsKestraDefaults() throws {
        let attempt = try RenderedAttempt(MappingFlow())
        #expect(try attempt.string("allocationPolicy.instances.0.policy.machineType") == "e2-medium")
        #expect(try attempt.string("taskGroups.0.taskCount") == "1")
        #expect(try attempt.string("logsPolicy.destination") == "CLOUD_LOGGING")
        #expect(try attempt.string("taskGroups.0.taskSpec.maxRunDuration") == "3600s")
        for absent in [
            "allocationPolicy.instances.0.policy.reservation", "allocationPolicy.instances.0.policy.accelerators",
            "allocationPolicy.instances.0.policy.provisioningModel", "allocationPolicy.instances.0.installGpuDrivers",
            "allocationPolicy.network", "allocationPolicy.serviceAccount", "taskGroups.0.taskSpec.computeResource",
            "taskGroups.0.taskSpec.maxRetryCount", "taskGroups.0.taskSpec.lifecyclePolicies",
            "taskGroups.0.taskSpec.volumes", "taskGroups.0.taskSpec.runnables.0.container.entrypoint",
            "taskGroups.0.taskSpec.runnables.0.container.volumes",
        ] {
            #expect(try attempt.value(absent) == nil, "\(absent) should not be sent")
        }
    }

    @Test func machineTypeGoesToTheInstancePolicy() throws {
        let attempt = try RenderedAttempt(MappingFlow(runnerLines: "machineType: n2-standard-8"))
        #expect(try attempt.string("allocationPolicy.instances.0.policy.machineType") == "n2-standard-8")
    }

    @Test func machineTypeIsRenderedAsATemplate() throws {
        let attempt = try RenderedAttempt(MappingFlow(runnerLines: "machineType: \"{{ vars.machine }}\""))
        #expect(try attempt.string("allocationPolicy.instances.0.policy.machineType") == "n2-highmem-4")
    }

    @Test func reservationGoesToTheInstancePolicy() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(runnerLines: "reservation: projects/my-project/reservations/gpus"))
        #expect(
            try attempt.string("allocationPolicy.instances.0.policy.reservation")
                == "projects/my-project/reservations/gpus")
    }

    @Test func networkInterfacesKeepTheirOrderNetworkAndSubnetwork() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    networkInterfaces:
                      - network: projects/host/global/networks/vpc
                        subnetwork: projects/host/regions/europe-west9/subnetworks/batch
                      - network: "{{ vars.network }}"
                    """))
        let interfaces = try #require(try attempt.value("allocationPolicy.network.networkInterfaces") as? [Any])
        #expect(interfaces.count == 2)
        #expect(
            try attempt.string("allocationPolicy.network.networkInterfaces.0.network")
                == "projects/host/global/networks/vpc")
        #expect(
            try attempt.string("allocationPolicy.network.networkInterfaces.0.subnetwork")
                == "projects/host/regions/europe-west9/subnetworks/batch")
        #expect(
            try attempt.string("allocationPolicy.network.networkInterfaces.1.network")
                == "projects/host/global/networks/from-vars")
        #expect(try attempt.value("allocationPolicy.network.networkInterfaces.1.subnetwork") == nil)
        #expect(try attempt.value("allocationPolicy.network.networkInterfaces.0.noExternalIpAddress") == nil)
    }

    @Test func noExternalIpAddressMarksEveryInterface() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    noExternalIpAddress: true
                    networkInterfaces:
                      - network: projects/host/global/networks/a
                      - network: projects/host/global/networks/b
                    """))
        for index in 0..<2 {
            #expect(
                try attempt.value("allocationPolicy.network.networkInterfaces.\(index).noExternalIpAddress") as? Bool
                    == true)
        }
    }

    @Test func noExternalIpAddressWithoutInterfacesUsesTheDefaultNetwork() throws {
        let attempt = try RenderedAttempt(MappingFlow(runnerLines: "noExternalIpAddress: true"))
        let interfaces = try #require(try attempt.value("allocationPolicy.network.networkInterfaces") as? [Any])
        #expect(interfaces.count == 1)
        #expect(
            try attempt.string("allocationPolicy.network.networkInterfaces.0.network") == "global/networks/default")
        #expect(try attempt.value("allocationPolicy.network.networkInterfaces.0.noExternalIpAddress") as? Bool == true)
    }

    @Test func computeResourceIsSentInMilliCPUAndMebibytesAsInt64Strings() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    computeResource:
                      cpu: "4000"
                      memory: 16GiB
                      bootDisk: "20480"
                    """))
        #expect(try attempt.string("taskGroups.0.taskSpec.computeResource.cpuMilli") == "4000")
        #expect(try attempt.string("taskGroups.0.taskSpec.computeResource.memoryMib") == "16384")
        #expect(try attempt.string("taskGroups.0.taskSpec.computeResource.bootDiskMib") == "20480")
    }

    @Test func computeResourceTemplatesRenderToNumbersOrSizes() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    computeResource:
                      cpu: "{{ inputs.retries * 1000 }}"
                      memory: "{{ inputs.memory }}"
                    """))
        #expect(try attempt.string("taskGroups.0.taskSpec.computeResource.cpuMilli") == "3000")
        #expect(try attempt.string("taskGroups.0.taskSpec.computeResource.memoryMib") == "2048")
        #expect(try attempt.value("taskGroups.0.taskSpec.computeResource.bootDiskMib") == nil)
    }

    @Test func bootDiskAloneLeavesCPUAndMemoryToBatch() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    computeResource:
                      bootDisk: 50GiB
                    """))
        #expect(try attempt.string("taskGroups.0.taskSpec.computeResource.bootDiskMib") == "51200")
        #expect(try attempt.value("taskGroups.0.taskSpec.computeResource.cpuMilli") == nil)
        #expect(try attempt.value("taskGroups.0.taskSpec.computeResource.memoryMib") == nil)
    }

    @Test func aComputeResourceTemplateThatIsNotANumberIsAnErrorAtItsLocation() throws {
        #expect {
            _ = try RenderedAttempt(
                MappingFlow(
                    runnerLines: """
                        computeResource:
                          cpu: "{{ vars.machine }}"
                        """))
        } throws: { error in
            "\(error)".contains("mapping.yaml:") && "\(error)".contains("cpu rendered to 'n2-highmem-4', not a number")
        }
    }

    @Test func entryPointIsJoinedWithSpacesIntoTheContainerEntrypoint() throws {
        let attempt = try RenderedAttempt(MappingFlow(runnerLines: "entryPoint: [\"/bin/bash\", \"-lc\"]"))
        #expect(try attempt.string("taskGroups.0.taskSpec.runnables.0.container.entrypoint") == "/bin/bash -lc")
    }

    @Test func maxRetryCountIsSentAndZeroIsLeftOut() throws {
        let three = try RenderedAttempt(MappingFlow(runnerLines: "maxRetryCount: 3"))
        #expect(try three.value("taskGroups.0.taskSpec.maxRetryCount") as? Int == 3)
        let zero = try RenderedAttempt(MappingFlow(runnerLines: "maxRetryCount: 0"))
        #expect(try zero.value("taskGroups.0.taskSpec.maxRetryCount") == nil)
    }

    @Test func maxRetryCountIsRenderedAsATemplate() throws {
        let attempt = try RenderedAttempt(MappingFlow(runnerLines: "maxRetryCount: \"{{ inputs.retries }}\""))
        #expect(try attempt.value("taskGroups.0.taskSpec.maxRetryCount") as? Int == 3)
    }

    @Test func lifecyclePoliciesKeepTheirOrderActionsAndExitCodes() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    lifecyclePolicies:
                      - action: RETRY_TASK
                        actionCondition:
                          exitCodes: [137, 143]
                      - action: FAIL_TASK
                        actionCondition:
                          exitCodes: [1]
                    """))
        #expect(try attempt.string("taskGroups.0.taskSpec.lifecyclePolicies.0.action") == "RETRY_TASK")
        #expect(
            try attempt.value("taskGroups.0.taskSpec.lifecyclePolicies.0.actionCondition.exitCodes") as? [Int]
                == [137, 143])
        #expect(try attempt.string("taskGroups.0.taskSpec.lifecyclePolicies.1.action") == "FAIL_TASK")
        #expect(
            try attempt.value("taskGroups.0.taskSpec.lifecyclePolicies.1.actionCondition.exitCodes") as? [Int]
                == [1])
    }

    @Test func acceleratorsCarryTypeCountAndDriverVersionAndAskForDrivers() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    accelerators:
                      - type: nvidia-tesla-t4
                        count: 2
                        driverVersion: "535.104.05"
                      - type: nvidia-l4
                    """))
        let policy = "allocationPolicy.instances.0.policy.accelerators"
        #expect(try attempt.string("\(policy).0.type") == "nvidia-tesla-t4")
        #expect(try attempt.string("\(policy).0.count") == "2")
        #expect(try attempt.string("\(policy).0.driverVersion") == "535.104.05")
        #expect(try attempt.string("\(policy).1.type") == "nvidia-l4")
        #expect(try attempt.string("\(policy).1.count") == "1")
        #expect(try attempt.value("\(policy).1.driverVersion") == nil)
        #expect(try attempt.value("allocationPolicy.instances.0.installGpuDrivers") as? Bool == true)
    }

    @Test func acceleratorsWithoutDriverInstallationDoNotAskForDrivers() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    accelerators:
                      - type: nvidia-tesla-t4
                        installGpuDrivers: false
                    """))
        #expect(try attempt.string("allocationPolicy.instances.0.policy.accelerators.0.type") == "nvidia-tesla-t4")
        #expect(try attempt.value("allocationPolicy.instances.0.installGpuDrivers") == nil)
    }

    @Test func computeServiceAccountIsTheVMsIdentity() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(runnerLines: "computeServiceAccount: vm-runner@my-project.iam.gserviceaccount.com"))
        #expect(
            try attempt.string("allocationPolicy.serviceAccount.email")
                == "vm-runner@my-project.iam.gserviceaccount.com")
    }

    @Test func runnerLabelsJoinKestrasAndBatchLedgersLabels() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    labels:
                      team: data
                      cost-center: ml-training
                    """))
        let labels = try #require(try attempt.value("labels") as? [String: String])
        #expect(labels["team"] == "data")
        #expect(labels["cost-center"] == "ml-training")
        #expect(labels["kestra-namespace"] == "company-team")
        #expect(labels["kestra-flow-id"] == "mapping")
        #expect(labels["kestra-task-id"] == "work")
        #expect(labels["kestra-execution-id"] == RenderedAttempt.executionId)
        #expect(labels["kestra-taskrun-id"] == "work")
        #expect(labels["kestra-taskrun-attempt"] == "1")
        #expect(labels["managed-by"] == "batchledger")
        #expect(labels["batchledger-execution"] == RenderedAttempt.executionId)
        #expect(labels.count == 10)
    }

    @Test func runnerLabelTemplatesAreRenderedAndMadeValidLabelValues() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                runnerLines: """
                    labels:
                      owner: "{{ flow.namespace }}"
                      "{{ 'tier' }}": gold
                    """))
        let labels = try #require(try attempt.value("labels") as? [String: String])
        #expect(labels["owner"] == "company-team")
        #expect(labels["tier"] == "gold")
    }

    @Test func aRunnerLabelKeyThatRendersInvalidIsAnErrorAtItsLocation() throws {
        #expect {
            _ = try RenderedAttempt(
                MappingFlow(
                    runnerLines: """
                        labels:
                          "{{ 'Bad Key' }}": x
                        """))
        } throws: { error in
            let text = "\(error)"
            return text.contains("mapping.yaml:") && text.contains("label key rendered to 'Bad Key'")
        }
    }

    @Test(arguments: [
        ("", nil), ("provisioningModel: STANDARD", nil), ("provisioningModel: SPOT", "SPOT"),
        ("provisioningModel: PREEMPTIBLE", "PREEMPTIBLE"),
    ] as [(String, String?)])
    func provisioningModelIsSentUnlessStandard(line: String, expected: String?) throws {
        let attempt = try RenderedAttempt(MappingFlow(runnerLines: line))
        #expect(try attempt.string("allocationPolicy.instances.0.policy.provisioningModel") == expected)
    }

    @Test func aSpotAttemptAfterTooManyPreemptionsIsSentAsStandard() throws {
        let task = try MappingFlow(runnerLines: "provisioningModel: SPOT").task()
        let runner = try #require(task.taskRunner)
        let model = AttemptRetry.provisioning(
            requested: ScriptTaskRun.model(runner.provisioningModel.value), spotPreemptions: 3,
            spotAttemptsBeforeStandard: 2)
        #expect(model == .standard)
    }

    @Test func theTimeoutBecomesMaxRunDurationInWholeSecondsRoundedUp() throws {
        let attempt = try RenderedAttempt(MappingFlow(), timeout: .milliseconds(90_500))
        #expect(try attempt.string("taskGroups.0.taskSpec.maxRunDuration") == "91s")
        let runnerDefault = try RenderedAttempt(MappingFlow(runnerLines: "waitUntilCompletion: PT3H"))
        #expect(try runnerDefault.string("taskGroups.0.taskSpec.maxRunDuration") == "10800s")
    }

    @Test func aBucketMountsTheAttemptsFolderAsTheWorkingDirectory() throws {
        let attempt = try RenderedAttempt(MappingFlow(runnerLines: "bucket: my-staging"))
        let wid = RenderedAttempt.workingDir
        #expect(try attempt.string("taskGroups.0.taskSpec.volumes.0.gcs.remotePath") == "my-staging/\(wid)")
        #expect(try attempt.string("taskGroups.0.taskSpec.volumes.0.mountPath") == "/mnt/disks/share")
        #expect(
            try attempt.value("taskGroups.0.taskSpec.runnables.0.container.volumes") as? [String]
                == ["/mnt/disks/share:/\(wid)"])
        #expect(
            try attempt.string("taskGroups.0.taskSpec.runnables.0.environment.variables.BUCKET_PATH")
                == "gs://my-staging/\(wid)")
    }

    @Test func commandsRunUnderShWithSetEAndTheWorkingDirectoryInTheEnvironment() throws {
        let attempt = try RenderedAttempt(
            MappingFlow(
                taskLines: """
                    containerImage: ubuntu:24.04
                    env:
                      MODE: "{{ inputs.retries }}"
                    commands:
                      - echo one
                      - echo two
                    """))
        let container = "taskGroups.0.taskSpec.runnables.0.container"
        #expect(try attempt.string("\(container).imageUri") == "ubuntu:24.04")
        #expect(
            try attempt.value("\(container).commands") as? [String]
                == ["/bin/sh", "-c", "set -e\necho one\necho two"])
        let environment = try #require(
            try attempt.value("taskGroups.0.taskSpec.runnables.0.environment.variables") as? [String: String])
        #expect(environment == ["MODE": "3", "WORKING_DIR": "/\(RenderedAttempt.workingDir)"])
    }

    @Test func projectAndRegionComeFromTheRunner() throws {
        let attempt = try RenderedAttempt(MappingFlow())
        #expect(attempt.placement.project == "my-project")
        #expect(attempt.placement.region == "europe-west9")
        #expect(attempt.placement.bucket == nil)
        #expect(attempt.placement.scopes == BatchRunner.defaultScopes)
    }
}
