import Foundation

/// An int64 as Google's JSON carries it: written as a string, read from a string or a number.
public struct WireInt64: Codable, Sendable, Equatable, Hashable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    public var value: Int64

    public init(_ value: Int64) { self.value = value }
    public init(integerLiteral value: Int64) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), let value = Int64(text) {
            self.value = value
        } else {
            value = try container.decode(Int64.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }

    public var description: String { String(value) }
}

/// A Batch job as sent to `jobs.create` and read back from `jobs.get`: the subset of `Job` that BatchLedger
/// sets or reads. Unknown fields in answers are ignored.
public struct BatchJob: Codable, Sendable, Equatable {
    public var name: String?
    public var uid: String?
    public var taskGroups: [TaskGroup]
    public var allocationPolicy: AllocationPolicy?
    public var labels: [String: String]?
    public var logsPolicy: LogsPolicy?
    public var status: JobStatus?
    public var createTime: String?
    public var updateTime: String?

    public init(
        taskGroups: [TaskGroup], allocationPolicy: AllocationPolicy? = nil, labels: [String: String]? = nil,
        logsPolicy: LogsPolicy? = LogsPolicy(destination: "CLOUD_LOGGING")
    ) {
        self.taskGroups = taskGroups
        self.allocationPolicy = allocationPolicy
        self.labels = labels
        self.logsPolicy = logsPolicy
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        uid = try container.decodeIfPresent(String.self, forKey: .uid)
        taskGroups = try container.decodeIfPresent([TaskGroup].self, forKey: .taskGroups) ?? []
        allocationPolicy = try container.decodeIfPresent(AllocationPolicy.self, forKey: .allocationPolicy)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels)
        logsPolicy = try container.decodeIfPresent(LogsPolicy.self, forKey: .logsPolicy)
        status = try container.decodeIfPresent(JobStatus.self, forKey: .status)
        createTime = try container.decodeIfPresent(String.self, forKey: .createTime)
        updateTime = try container.decodeIfPresent(String.self, forKey: .updateTime)
    }

    public struct TaskGroup: Codable, Sendable, Equatable {
        public var name: String?
        public var taskCount: WireInt64?
        public var parallelism: WireInt64?
        public var taskSpec: TaskSpec

        public init(taskCount: WireInt64? = 1, parallelism: WireInt64? = nil, taskSpec: TaskSpec) {
            self.taskCount = taskCount
            self.parallelism = parallelism
            self.taskSpec = taskSpec
        }
    }

    public struct TaskSpec: Codable, Sendable, Equatable {
        public var runnables: [Runnable]
        public var volumes: [Volume]?
        public var computeResource: ComputeResource?
        public var maxRetryCount: Int?
        /// A duration such as "3600s".
        public var maxRunDuration: String?
        public var lifecyclePolicies: [LifecyclePolicy]?
        public var environment: Environment?

        public init(
            runnables: [Runnable], volumes: [Volume]? = nil, computeResource: ComputeResource? = nil,
            maxRetryCount: Int? = nil, maxRunDuration: String? = nil, lifecyclePolicies: [LifecyclePolicy]? = nil,
            environment: Environment? = nil
        ) {
            self.runnables = runnables
            self.volumes = volumes
            self.computeResource = computeResource
            self.maxRetryCount = maxRetryCount
            self.maxRunDuration = maxRunDuration
            self.lifecyclePolicies = lifecyclePolicies
            self.environment = environment
        }
    }

    public struct Runnable: Codable, Sendable, Equatable {
        public var container: Container?
        public var environment: Environment?
        public var displayName: String?

        public init(container: Container?, environment: Environment? = nil, displayName: String? = nil) {
            self.container = container
            self.environment = environment
            self.displayName = displayName
        }
    }

    public struct Container: Codable, Sendable, Equatable {
        public var imageUri: String
        public var entrypoint: String?
        public var commands: [String]?
        public var volumes: [String]?
        public var options: String?

        public init(
            imageUri: String, entrypoint: String? = nil, commands: [String]? = nil, volumes: [String]? = nil,
            options: String? = nil
        ) {
            self.imageUri = imageUri
            self.entrypoint = entrypoint
            self.commands = commands
            self.volumes = volumes
            self.options = options
        }
    }

    public struct Environment: Codable, Sendable, Equatable {
        public var variables: [String: String]?

        public init(variables: [String: String]?) { self.variables = variables }
    }

    public struct Volume: Codable, Sendable, Equatable {
        public var gcs: GCS?
        public var mountPath: String

        public struct GCS: Codable, Sendable, Equatable {
            /// "bucket" or "bucket/sub/dir".
            public var remotePath: String
        }

        public init(gcsRemotePath: String, mountPath: String) {
            gcs = GCS(remotePath: gcsRemotePath)
            self.mountPath = mountPath
        }
    }

    public struct ComputeResource: Codable, Sendable, Equatable {
        public var cpuMilli: WireInt64?
        public var memoryMib: WireInt64?
        public var bootDiskMib: WireInt64?

        public init(cpuMilli: WireInt64? = nil, memoryMib: WireInt64? = nil, bootDiskMib: WireInt64? = nil) {
            self.cpuMilli = cpuMilli
            self.memoryMib = memoryMib
            self.bootDiskMib = bootDiskMib
        }
    }

    public struct LifecyclePolicy: Codable, Sendable, Equatable {
        /// RETRY_TASK or FAIL_TASK (read from names or integers).
        public var action: EnumName<LifecycleAction>
        public var actionCondition: ActionCondition?

        public struct ActionCondition: Codable, Sendable, Equatable {
            public var exitCodes: [Int]
        }

        public init(action: LifecycleAction, exitCodes: [Int]) {
            self.action = EnumName(action)
            actionCondition = ActionCondition(exitCodes: exitCodes)
        }
    }

    public struct AllocationPolicy: Codable, Sendable, Equatable {
        public var instances: [InstancePolicyOrTemplate]?
        public var network: NetworkPolicy?
        public var serviceAccount: ServiceAccount?
        public var labels: [String: String]?

        public init(
            instances: [InstancePolicyOrTemplate]? = nil, network: NetworkPolicy? = nil,
            serviceAccount: ServiceAccount? = nil, labels: [String: String]? = nil
        ) {
            self.instances = instances
            self.network = network
            self.serviceAccount = serviceAccount
            self.labels = labels
        }
    }

    public struct InstancePolicyOrTemplate: Codable, Sendable, Equatable {
        public var policy: InstancePolicy?
        public var installGpuDrivers: Bool?

        public init(policy: InstancePolicy?, installGpuDrivers: Bool? = nil) {
            self.policy = policy
            self.installGpuDrivers = installGpuDrivers
        }
    }

    public struct InstancePolicy: Codable, Sendable, Equatable {
        public var machineType: String?
        public var provisioningModel: EnumName<ProvisioningModel>?
        public var reservation: String?
        public var accelerators: [Accelerator]?

        public init(
            machineType: String? = nil, provisioningModel: ProvisioningModel? = nil, reservation: String? = nil,
            accelerators: [Accelerator]? = nil
        ) {
            self.machineType = machineType
            self.provisioningModel = provisioningModel.map(EnumName.init)
            self.reservation = reservation
            self.accelerators = accelerators
        }
    }

    public struct Accelerator: Codable, Sendable, Equatable {
        public var type: String
        public var count: WireInt64
        /// The NVIDIA driver version Batch installs, or nil for its default.
        public var driverVersion: String?

        public init(type: String, count: Int64, driverVersion: String? = nil) {
            self.type = type
            self.count = WireInt64(count)
            self.driverVersion = driverVersion
        }
    }

    public struct NetworkPolicy: Codable, Sendable, Equatable {
        public var networkInterfaces: [NetworkInterface]

        public init(networkInterfaces: [NetworkInterface]) { self.networkInterfaces = networkInterfaces }
    }

    public struct NetworkInterface: Codable, Sendable, Equatable {
        public var network: String?
        public var subnetwork: String?
        public var noExternalIpAddress: Bool?

        public init(network: String?, subnetwork: String? = nil, noExternalIpAddress: Bool? = nil) {
            self.network = network
            self.subnetwork = subnetwork
            self.noExternalIpAddress = noExternalIpAddress
        }
    }

    public struct ServiceAccount: Codable, Sendable, Equatable {
        public var email: String?
        public var scopes: [String]?

        public init(email: String?, scopes: [String]? = nil) {
            self.email = email
            self.scopes = scopes
        }
    }

    public struct LogsPolicy: Codable, Sendable, Equatable {
        public var destination: String?

        public init(destination: String?) { self.destination = destination }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let number = try? container.decodeIfPresent(Int.self, forKey: .destination) {
                destination = [0: "DESTINATION_UNSPECIFIED", 1: "CLOUD_LOGGING", 2: "PATH"][number] ?? String(number)
            } else {
                destination = try container.decodeIfPresent(String.self, forKey: .destination)
            }
        }
    }
}
