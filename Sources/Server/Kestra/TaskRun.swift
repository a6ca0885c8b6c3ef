import Engine

extension Kestra {
    /// One run of a task (one iteration, for a task inside a ForEach), with its attempts and outputs.
    public struct TaskRun: Codable, Sendable, Equatable {
        public var id: String
        public var executionId: String
        public var namespace: String
        public var flowId: String
        public var taskId: String
        /// The ForEach value of the iteration, if any.
        public var value: String?
        public var state: State
        public var attempts: [TaskRunAttempt]
        /// Not declared by Kestra's model, but sent by Kestra's server: `vars`, `outputFiles` (name →
        /// `kestra:///` URI) and `exitCode`, as later tasks see them in `outputs.<taskId>`.
        public var outputs: [String: EventValue]

        public init(
            id: String, executionId: String, namespace: String, flowId: String, taskId: String, value: String?,
            state: State, attempts: [TaskRunAttempt], outputs: [String: EventValue]
        ) {
            self.id = id
            self.executionId = executionId
            self.namespace = namespace
            self.flowId = flowId
            self.taskId = taskId
            self.value = value
            self.state = state
            self.attempts = attempts
            self.outputs = outputs
        }
    }

    /// One attempt of a task run, with a state of its own.
    public struct TaskRunAttempt: Codable, Sendable, Equatable {
        public var state: State
        /// The Batch job that ran the attempt (Kestra's worker).
        public var workerId: String?

        public init(state: State, workerId: String? = nil) {
            self.state = state
            self.workerId = workerId
        }
    }
}
