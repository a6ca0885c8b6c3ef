import Foundation

/// An enum of the Batch API, which answers with names or (gapic clients' `enum-encoding=int`) integers.
public protocol WireEnum: Sendable, Equatable, Hashable {
    /// The protobuf names in integer order (index = integer value).
    static var names: [String] { get }
    init(name: String)
    var name: String { get }
}

/// Holds a wire enum; decodes names and integers, encodes names.
public struct EnumName<E: WireEnum>: Codable, Sendable, Equatable, Hashable {
    public var value: E

    public init(_ value: E) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            value = E(name: E.names.indices.contains(number) ? E.names[number] : String(number))
        } else {
            value = E(name: try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value.name)
    }
}

/// `JobStatus.State`.
public enum JobState: WireEnum, CustomStringConvertible {
    case unspecified, queued, scheduled, running, succeeded, failed, deletionInProgress, cancellationInProgress
    case cancelled
    case unknown(String)

    public static let names = [
        "STATE_UNSPECIFIED", "QUEUED", "SCHEDULED", "RUNNING", "SUCCEEDED", "FAILED", "DELETION_IN_PROGRESS",
        "CANCELLATION_IN_PROGRESS", "CANCELLED",
    ]
    private static let cases: [JobState] = [
        .unspecified, .queued, .scheduled, .running, .succeeded, .failed, .deletionInProgress,
        .cancellationInProgress, .cancelled,
    ]

    public init(name: String) {
        self = Self.names.firstIndex(of: name).map { Self.cases[$0] } ?? .unknown(name)
    }

    public var name: String {
        if case .unknown(let name) = self { return name }
        return Self.names[Self.cases.firstIndex(of: self)!]
    }

    public var description: String { name }

    /// No further change will come (Kestra also ends on DELETION_IN_PROGRESS).
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled, .deletionInProgress: return true
        default: return false
        }
    }
}

/// `TaskStatus.State`.
public enum TaskState: WireEnum, CustomStringConvertible {
    case unspecified, pending, assigned, running, failed, succeeded, unexecuted
    case unknown(String)

    public static let names = [
        "STATE_UNSPECIFIED", "PENDING", "ASSIGNED", "RUNNING", "FAILED", "SUCCEEDED", "UNEXECUTED",
    ]
    private static let cases: [TaskState] = [
        .unspecified, .pending, .assigned, .running, .failed, .succeeded, .unexecuted,
    ]

    public init(name: String) {
        self = Self.names.firstIndex(of: name).map { Self.cases[$0] } ?? .unknown(name)
    }

    public var name: String {
        if case .unknown(let name) = self { return name }
        return Self.names[Self.cases.firstIndex(of: self)!]
    }

    public var description: String { name }
}

/// `InstancePolicy.ProvisioningModel`.
public enum ProvisioningModel: String, WireEnum {
    case unspecified = "PROVISIONING_MODEL_UNSPECIFIED"
    case standard = "STANDARD"
    case spot = "SPOT"
    case preemptible = "PREEMPTIBLE"
    case reservationBound = "RESERVATION_BOUND"
    case flexStart = "FLEX_START"

    public static let names = [
        "PROVISIONING_MODEL_UNSPECIFIED", "STANDARD", "SPOT", "PREEMPTIBLE", "RESERVATION_BOUND", "FLEX_START",
    ]
    public init(name: String) { self = ProvisioningModel(rawValue: name) ?? .unspecified }
    public var name: String { rawValue }
}

/// `LifecyclePolicy.Action`.
public enum LifecycleAction: String, WireEnum {
    case unspecified = "ACTION_UNSPECIFIED"
    case retryTask = "RETRY_TASK"
    case failTask = "FAIL_TASK"

    public static let names = ["ACTION_UNSPECIFIED", "RETRY_TASK", "FAIL_TASK"]
    public init(name: String) { self = LifecycleAction(rawValue: name) ?? .unspecified }
    public var name: String { rawValue }
}
