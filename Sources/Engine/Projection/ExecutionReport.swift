import Foundation
import GoogleCloud
import Ledger

/// The JSON document of `run --json` and `show --json`: one entry per task run.
public struct ExecutionReport: Codable, Sendable, Equatable {
    public struct TaskEntry: Codable, Sendable, Equatable {
        public var id: String
        public var value: String?
        public var state: RunState
        public var attempts: Int
        public var jobName: String?
        public var exitCode: Int?
        public var vars: [String: EventValue]
        public var metrics: [Metric]
        /// Output file name → absolute local path.
        public var outputFiles: [String: String]
        /// Objects the job wrote that were not downloaded: full object name → why.
        public var refusedOutputFiles: [String: String]?
        public var failureReason: String?
    }

    public var executionId: String
    public var namespace: String
    public var flowId: String
    /// SUCCEEDED, WARNING, FAILED, CANCELLED, or RUNNING when interrupted.
    public var state: RunState
    public var startedAt: String?
    public var endedAt: String?
    public var outputDirectory: String?
    /// The flow's outputs (id → typed value), once the execution has ended.
    public var outputs: [String: EventValue]
    /// The execution's labels (the flow's and the request's), `{key: value}`.
    public var labels: [String: String]
    public var tasks: [TaskEntry]

    public init(_ state: ExecutionState) {
        executionId = state.executionId
        namespace = state.namespace
        flowId = state.flowId
        self.state = state.state
        startedAt = state.startedAt
        endedAt = state.endedAt
        outputDirectory = state.started?.outputDirectory
        outputs = state.outputs
        labels = state.started?.labels ?? [:]
        tasks = state.taskRuns.map { run in
            TaskEntry(
                id: run.taskId, value: run.value, state: run.state, attempts: run.attempts.count,
                jobName: run.attempts.last?.jobId, exitCode: run.exitCode, vars: run.vars, metrics: run.metrics,
                outputFiles: run.outputFiles,
                refusedOutputFiles: run.refusedOutputFiles.isEmpty ? nil : run.refusedOutputFiles,
                failureReason: run.failureReason)
        }
    }

    /// Pretty, key-sorted JSON.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

extension EventStore {
    /// The state of one execution, folded from its events (through `seq` when given).
    public func executionState(_ executionId: String, through seq: Int64? = nil) throws -> ExecutionState? {
        var state = ExecutionState()
        var any = false
        try readStream(executionId) { event in
            if let seq, event.seq > seq { return }
            any = true
            try state.apply(event)
        }
        return any ? state : nil
    }
}
