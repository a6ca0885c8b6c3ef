import Engine

extension Kestra {
    /// A Kestra execution as `GET /executions/{id}` returns it (and, with `url`, as `POST /executions/...` does).
    public struct Execution: Codable, Sendable, Equatable {
        public var id: String
        public var namespace: String
        public var flowId: String
        public var flowRevision: Int
        public var state: State
        /// The execution this one was replayed (forked) from, or its own id.
        public var originalId: String
        public var deleted: Bool
        public var metadata: ExecutionMetadata
        public var labels: [Label]
        public var taskRunList: [TaskRun]
        /// Input values as the execution got them.
        public var inputs: [String: EventValue]
        public var kind: String?
        /// The address of the execution in a user interface (only in the answer to a create).
        public var url: String?

        public init(
            id: String, namespace: String, flowId: String, flowRevision: Int, state: State, originalId: String,
            deleted: Bool = false, metadata: ExecutionMetadata, labels: [Label], taskRunList: [TaskRun],
            inputs: [String: EventValue], kind: String? = nil, url: String? = nil
        ) {
            self.id = id
            self.namespace = namespace
            self.flowId = flowId
            self.flowRevision = flowRevision
            self.state = state
            self.originalId = originalId
            self.deleted = deleted
            self.metadata = metadata
            self.labels = labels
            self.taskRunList = taskRunList
            self.inputs = inputs
            self.kind = kind
            self.url = url
        }
    }

    /// Facts about an execution that are not its state.
    public struct ExecutionMetadata: Codable, Sendable, Equatable {
        /// When the first execution of its chain was created.
        public var originalCreatedDate: String
        /// Kestra counts restarts of an execution from 1; BatchLedger never restarts one in place.
        public var attemptNumber: Int

        public init(originalCreatedDate: String, attemptNumber: Int = 1) {
            self.originalCreatedDate = originalCreatedDate
            self.attemptNumber = attemptNumber
        }
    }
}
