import Engine
import Ledger

extension Kestra.Execution {
    /// The execution as Kestra shows it, from what the ledger recorded: states in Kestra's names (SUCCEEDED is
    /// SUCCESS, CANCELLED is KILLED), each with its dated history; task runs in the order they began, each with
    /// its attempts and outputs; labels as a list with Kestra's `system.correlationId`.
    ///
    /// - Parameters:
    ///   - flowRevision: the flow's revision when the server knows it better than the ledger (which holds the
    ///     revision the flow file named, if any); 1 when neither knows.
    ///   - now: the end of a state that has not ended (Kestra's `getEndDate`), so that the mapping stays pure.
    public init(_ record: ExecutionRecord, flowRevision: Int? = nil, now: Timestamp) {
        let state = record.state
        let id = state.executionId
        let created = record.history.first?.date ?? state.startedAt.flatMap(Kestra.date) ?? Kestra.date(now)
        var labels = (state.started?.labels ?? [:]).sorted { $0.key < $1.key }.map {
            Kestra.Label(key: $0.key, value: $0.value)
        }
        if !labels.contains(where: { $0.key == Kestra.Label.correlationIdKey }) {
            labels.append(Kestra.Label(key: Kestra.Label.correlationIdKey, value: id))
        }
        self.init(
            id: id, namespace: state.namespace, flowId: state.flowId,
            flowRevision: flowRevision ?? state.started?.flowRevision ?? 1,
            state: Kestra.State(current: Kestra.StateType(state.state), histories: record.history, now: now),
            originalId: state.started?.forkedFrom ?? id,
            metadata: Kestra.ExecutionMetadata(originalCreatedDate: created),
            labels: labels,
            taskRunList: state.taskRuns.map { Kestra.TaskRun($0, of: record, now: now) },
            inputs: state.started?.inputs ?? [:])
    }
}

extension Kestra.TaskRun {
    /// Task run `run` of the execution `record` holds.
    init(_ run: TaskRunState, of record: ExecutionRecord, now: Timestamp) {
        let state = record.state
        let history = record.taskRunHistories[run.taskRunId] ?? ExecutionRecord.TaskRunHistory()
        let attempts = run.attempts.map { attempt in
            Kestra.TaskRunAttempt(
                state: Kestra.State(
                    current: attempt.outcome.map(Kestra.StateType.init) ?? .running,
                    histories: history.attempts[attempt.attempt] ?? [], now: now),
                workerId: attempt.jobName ?? attempt.jobId)
        }
        self.init(
            id: run.taskRunId, executionId: state.executionId, namespace: state.namespace, flowId: state.flowId,
            taskId: run.taskId, value: run.value,
            state: Kestra.State(current: Kestra.StateType(run.state), histories: history.states, now: now),
            attempts: attempts, outputs: Self.outputs(of: run, in: state))
    }

    /// `vars`, `outputFiles` (as `kestra:///` URIs) and `exitCode`, the outputs a script task gives in Kestra; a
    /// core task's own outputs (Return's `value`, OutputValues' `values` …) as they are.
    static func outputs(of run: TaskRunState, in state: ExecutionState) -> [String: EventValue] {
        if run.type != nil { return run.vars }
        var outputs: [String: EventValue] = [:]
        if !run.vars.isEmpty {
            outputs["vars"] = .object(EventObject(run.vars.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        }
        if !run.outputFiles.isEmpty {
            outputs["outputFiles"] = .object(
                EventObject(
                    run.outputFiles.keys.sorted().map {
                        ($0, .string(OutputsView.uri(state: state, run: run, name: $0)))
                    }))
        }
        if let exitCode = run.exitCode { outputs["exitCode"] = .number(EventNumber(Int64(exitCode))) }
        return outputs
    }
}
