import Foundation

/// `JobStatus`: the state, the status events, and per task group the counts of tasks in each state.
public struct JobStatus: Codable, Sendable, Equatable {
    public var state: EnumName<JobState>
    public var statusEvents: [StatusEvent]
    public var runDuration: String?
    public var taskGroups: [String: TaskGroupStatus]?

    public init(state: JobState, statusEvents: [StatusEvent] = [], runDuration: String? = nil) {
        self.state = EnumName(state)
        self.statusEvents = statusEvents
        self.runDuration = runDuration
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        state = try container.decodeIfPresent(EnumName<JobState>.self, forKey: .state) ?? EnumName(.unspecified)
        statusEvents = try container.decodeIfPresent([StatusEvent].self, forKey: .statusEvents) ?? []
        runDuration = try container.decodeIfPresent(String.self, forKey: .runDuration)
        taskGroups = try container.decodeIfPresent([String: TaskGroupStatus].self, forKey: .taskGroups)
    }

    public struct TaskGroupStatus: Codable, Sendable, Equatable {
        /// Task state name → count.
        public var counts: [String: WireInt64]?
    }
}

/// One entry of a job's or task's history, as Batch writes it.
public struct StatusEvent: Codable, Sendable, Equatable {
    public var type: String?
    public var description: String?
    public var eventTime: String?
    public var taskState: EnumName<TaskState>?
    public var taskExecution: TaskExecution?

    public struct TaskExecution: Codable, Sendable, Equatable {
        public var exitCode: Int?
    }

    public init(
        type: String? = nil, description: String? = nil, eventTime: String? = nil, taskState: TaskState? = nil,
        exitCode: Int? = nil
    ) {
        self.type = type
        self.description = description
        self.eventTime = eventTime
        self.taskState = taskState.map(EnumName.init)
        taskExecution = exitCode.map { TaskExecution(exitCode: $0) }
    }
}

/// A task of a job (`…/taskGroups/group0/tasks/0`).
public struct BatchTask: Codable, Sendable, Equatable {
    public var name: String
    public var status: Status

    public struct Status: Codable, Sendable, Equatable {
        public var state: EnumName<TaskState>
        public var statusEvents: [StatusEvent]

        /// A fresh task's `"status": {}`.
        public init() {
            state = EnumName(.unspecified)
            statusEvents = []
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            state = try container.decodeIfPresent(EnumName<TaskState>.self, forKey: .state) ?? EnumName(.unspecified)
            statusEvents = try container.decodeIfPresent([StatusEvent].self, forKey: .statusEvents) ?? []
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        status = try container.decodeIfPresent(Status.self, forKey: .status) ?? Status()
    }

    /// The container's exit code: from the last status event that carries one.
    public var exitCode: Int? {
        status.statusEvents.last { $0.taskExecution?.exitCode != nil }?.taskExecution?.exitCode
    }
}

/// Batch's reserved exit codes, named.
public enum BatchExitCode {
    public static func meaning(of code: Int) -> String? {
        switch code {
        case 50001: return "the VM was preempted (Spot or preemptible capacity was reclaimed)"
        case 50002: return "the VM stopped reporting to Batch (VM lost)"
        case 50003: return "the VM was rebooted while the task ran"
        case 50004: return "the task stopped responding"
        case 50005: return "the task ran longer than its maxRunDuration"
        case 50006: return "the VM was recreated while the task ran"
        case 50000: return "Batch failed the task for an unlisted reason"
        default: return nil
        }
    }

    /// "exit code 1", or "exit code 50001 (the VM was preempted …)".
    public static func describe(_ code: Int) -> String {
        meaning(of: code).map { "exit code \(code) (\($0))" } ?? "exit code \(code)"
    }
}

/// A long-running operation (`jobs.delete`, `jobs.cancel`).
public struct Operation: Codable, Sendable, Equatable {
    public var name: String
    public var done: Bool
    public var error: OperationError?

    public struct OperationError: Codable, Sendable, Equatable {
        public var code: Int?
        public var message: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        done = try container.decodeIfPresent(Bool.self, forKey: .done) ?? false
        error = try container.decodeIfPresent(OperationError.self, forKey: .error)
    }
}
