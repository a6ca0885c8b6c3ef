import Foundation

/// A task run that needs no container begins: a core task (Log, Return, OutputValues, Pause, Subflow) or a
/// flowable one (If, Switch, Sequential). A flowable's choice is made before it starts, and recorded here, so a
/// resumed execution takes the same branch.
public struct TaskStarted: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var taskId: String
    /// The ForEach value the run belongs to, if any.
    public var value: String?
    /// The task's type, as written.
    public var type: String
    /// The flowable task run this one runs in, if any.
    public var parentTaskRunId: String?
    /// If: `then` or `else`; Switch: the matching case's key, or `defaults`.
    public var branch: String?

    public init(
        taskRunId: String, taskId: String, value: String?, type: String, parentTaskRunId: String?,
        branch: String? = nil
    ) {
        self.taskRunId = taskRunId
        self.taskId = taskId
        self.value = value
        self.type = type
        self.parentTaskRunId = parentTaskRunId
        self.branch = branch
    }
}

/// The execution's final state and its flow outputs, decided once its tasks, `errors` and `finally` have ended,
/// before `afterExecution` runs (which reads the state as `execution.state`). `ExecutionFinished` follows with the
/// same state.
public struct ExecutionEnding: Codable, Sendable, Equatable {
    public var state: RunState
    /// Flow output id → value, typed as the flow declares.
    public var outputs: [String: EventValue]

    public init(state: RunState, outputs: [String: EventValue]) {
        self.state = state
        self.outputs = outputs
    }
}

/// A Subflow task run started its child execution (recorded before the child's first event, so a resumed parent
/// waits for the same child instead of starting another).
public struct SubflowStarted: Codable, Sendable, Equatable {
    public var taskRunId: String
    public var childExecutionId: String
    public var namespace: String
    public var flowId: String

    public init(taskRunId: String, childExecutionId: String, namespace: String, flowId: String) {
        self.taskRunId = taskRunId
        self.childExecutionId = childExecutionId
        self.namespace = namespace
        self.flowId = flowId
    }
}
