/// The Google Batch task runner (`io.kestra.plugin.ee.gcp.runner.Batch`, or the older
/// `io.kestra.plugin.gcp.runner.Batch`), with every property of Kestra's runner and its default.
///
/// Extensions beyond Kestra (marked below) are BatchLedger's own: `provisioningModel`, `accelerators`,
/// `computeServiceAccount`, `labels` and `noExternalIpAddress`.
public struct BatchRunner: Sendable, Equatable {
    /// The current (Enterprise Edition) type name.
    public static let typeName = "io.kestra.plugin.ee.gcp.runner.Batch"
    /// The type name of the last open-source runner, accepted too.
    public static let legacyTypeName = "io.kestra.plugin.gcp.runner.Batch"
    /// The default OAuth scopes.
    public static let defaultScopes = ["https://www.googleapis.com/auth/cloud-platform"]

    /// The VM provisioning model (extension).
    public enum ProvisioningModel: String, Sendable, CaseIterable {
        /// Regular VMs.
        case standard = "STANDARD"
        /// Spot VMs.
        case spot = "SPOT"
        /// Legacy preemptible VMs.
        case preemptible = "PREEMPTIBLE"
    }

    /// The type as written.
    public var type: Located<String>
    /// `projectId` (dynamic).
    public var projectId: Located<String>?
    /// `region` (required, dynamic): the Batch location.
    public var region: Located<String>
    /// `serviceAccount`: the content of a JSON service-account key used to create the job (dynamic).
    public var serviceAccount: Located<String>?
    /// `impersonatedServiceAccount` (dynamic).
    public var impersonatedServiceAccount: Located<String>?
    /// `scopes`, `["https://www.googleapis.com/auth/cloud-platform"]` by default.
    public var scopes: [Located<String>]
    /// `machineType`, `e2-medium` by default.
    public var machineType: Located<String>
    /// `reservation`.
    public var reservation: Located<String>?
    /// `computeResource` (milliCPU and MiB), or nil for Batch's defaults (2000 milliCPU, 2048 MiB).
    public var computeResource: ComputeResource?
    /// `entryPoint`, joined with spaces into the container's entrypoint.
    public var entryPoint: [Located<String>]
    /// `networkInterfaces`; empty means the project's default network.
    public var networkInterfaces: [NetworkInterface]
    /// `bucket`: the GCS staging bucket (required when the task has `outputFiles`).
    public var bucket: Located<String>?
    /// `waitUntilCompletion`, `PT1H` by default (the task's `timeout` wins when set).
    public var waitUntilCompletion: Located<ISODuration>
    /// `completionCheckInterval`, `PT5S` by default.
    public var completionCheckInterval: Located<ISODuration>
    /// `waitForLogInterval`, `PT5S` by default.
    public var waitForLogInterval: Located<ISODuration>
    /// `delete`: delete the job after success (default true).
    public var delete: Located<Bool>
    /// `resume`: reattach to an existing job of the same task run (default true).
    public var resume: Located<Bool>
    /// `maxRetryCount`: Batch-level retries of the task container, 0 to 10 (default 0).
    public var maxRetryCount: Located<Dynamic<Int>>
    /// `lifecyclePolicies`: which exit codes retry or fail the Batch task.
    public var lifecyclePolicies: [LifecyclePolicy]
    /// `syncWorkingDirectory` (default false).
    public var syncWorkingDirectory: Located<Bool>
    /// Extension: `provisioningModel`, `STANDARD` by default.
    public var provisioningModel: Located<ProvisioningModel>
    /// Extension: `accelerators` (GPUs).
    public var accelerators: [Accelerator]
    /// Extension: `computeServiceAccount`, the email of the identity the job's VMs run as.
    public var computeServiceAccount: Located<String>?
    /// Extension: `labels` added to the Batch job, checked against Google's label rules.
    public var labels: [FlowLabel]
    /// Extension: `noExternalIpAddress` (default false).
    public var noExternalIpAddress: Located<Bool>
    /// Where the runner's mapping starts.
    public var location: SourceLocation

    /// Creates a runner with the required values and every default; set other properties afterwards.
    public init(type: Located<String>, region: Located<String>, location: SourceLocation) {
        func byDefault<T>(_ value: T) -> Located<T> { Located(value, at: location, isDefault: true) }
        self.type = type
        self.region = region
        self.location = location
        self.projectId = nil
        self.serviceAccount = nil
        self.impersonatedServiceAccount = nil
        self.scopes = Self.defaultScopes.map { byDefault($0) }
        self.machineType = byDefault("e2-medium")
        self.reservation = nil
        self.computeResource = nil
        self.entryPoint = []
        self.networkInterfaces = []
        self.bucket = nil
        self.waitUntilCompletion = byDefault(ISODuration(seconds: 3_600))
        self.completionCheckInterval = byDefault(ISODuration(seconds: 5))
        self.waitForLogInterval = byDefault(ISODuration(seconds: 5))
        self.delete = byDefault(true)
        self.resume = byDefault(true)
        self.maxRetryCount = byDefault(.value(0))
        self.lifecyclePolicies = []
        self.syncWorkingDirectory = byDefault(false)
        self.provisioningModel = byDefault(.standard)
        self.accelerators = []
        self.computeServiceAccount = nil
        self.labels = []
        self.noExternalIpAddress = byDefault(false)
    }
}

/// `computeResource`: per-task resources, in Batch's units.
public struct ComputeResource: Sendable, Equatable {
    /// `cpu`, in milliCPU (1000 = one vCPU).
    public var cpuMilli: Located<Dynamic<Int>>?
    /// `memory`, in MiB (`"1024"`, or a size such as `"2GiB"`).
    public var memoryMiB: Located<Dynamic<Int>>?
    /// `bootDisk`, in MiB (`"20GiB"` is 20480).
    public var bootDiskMiB: Located<Dynamic<Int>>?
    /// Where the block starts.
    public var location: SourceLocation

    /// Creates the block.
    public init(
        cpuMilli: Located<Dynamic<Int>>?, memoryMiB: Located<Dynamic<Int>>?, bootDiskMiB: Located<Dynamic<Int>>?,
        location: SourceLocation
    ) {
        self.cpuMilli = cpuMilli
        self.memoryMiB = memoryMiB
        self.bootDiskMiB = bootDiskMiB
        self.location = location
    }
}

/// One `networkInterfaces` entry.
public struct NetworkInterface: Sendable, Equatable {
    /// `network` (required), e.g. `projects/HOST_PROJECT_ID/global/networks/NETWORK`.
    public var network: Located<String>
    /// `subnetwork`, e.g. `projects/HOST_PROJECT_ID/regions/REGION/subnetworks/SUBNET`.
    public var subnetwork: Located<String>?
    /// Where the entry starts.
    public var location: SourceLocation

    /// Creates an entry.
    public init(network: Located<String>, subnetwork: Located<String>?, location: SourceLocation) {
        self.network = network
        self.subnetwork = subnetwork
        self.location = location
    }
}

/// One `lifecyclePolicies` entry, in Batch's shape: `action` and `actionCondition.exitCodes`.
public struct LifecyclePolicy: Sendable, Equatable {
    /// What Batch does when the condition holds.
    public enum Action: String, Sendable, CaseIterable {
        /// Retry the task (within `maxRetryCount`).
        case retryTask = "RETRY_TASK"
        /// Fail the task without retrying.
        case failTask = "FAIL_TASK"
    }

    /// The action.
    public var action: Located<Action>
    /// The exit codes the policy applies to.
    public var exitCodes: [Located<Int>]
    /// Where the entry starts.
    public var location: SourceLocation

    /// Creates an entry.
    public init(action: Located<Action>, exitCodes: [Located<Int>], location: SourceLocation) {
        self.action = action
        self.exitCodes = exitCodes
        self.location = location
    }
}

/// One `accelerators` entry (extension): GPUs attached to the job's VMs.
public struct Accelerator: Sendable, Equatable {
    /// `type`, e.g. `nvidia-tesla-t4`.
    public var type: Located<String>
    /// `count`, 1 by default.
    public var count: Located<Int>
    /// `installGpuDrivers`: let Batch install the GPU drivers (default true).
    public var installGpuDrivers: Located<Bool>
    /// `driverVersion`, or nil for Batch's default.
    public var driverVersion: Located<String>?
    /// Where the entry starts.
    public var location: SourceLocation

    /// Creates an entry.
    public init(
        type: Located<String>, count: Located<Int>, installGpuDrivers: Located<Bool>,
        driverVersion: Located<String>?, location: SourceLocation
    ) {
        self.type = type
        self.count = count
        self.installGpuDrivers = installGpuDrivers
        self.driverVersion = driverVersion
        self.location = location
    }
}
