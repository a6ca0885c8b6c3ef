import GoogleCloud

@testable import Engine

/// Events of one execution (`exec-1`) with one task `t`, for folding.
enum Events {
    static func executionStarted() -> ExecutionStarted {
        ExecutionStarted(
            executionId: "exec-1", namespace: "company.team", flowId: "flow", flowRevision: nil, flowPath: "flow.yaml",
            flowSource: "id: flow", flowSHA256: "", inputs: [:], labels: [:],
            backend: Backend(kind: .local, endpoint: nil), outputDirectory: "/out", namespaceFilesDirectory: nil,
            namespaceFileDigests: [:], forkedFrom: nil)
    }

    static func attemptStarted(taskRunId: String = "t1", attempt: Int, value: String? = nil) -> AttemptStarted {
        AttemptStarted(
            taskRunId: taskRunId, taskId: "t", value: value, attempt: attempt, workingDirId: "wd\(attempt)",
            jobId: "job-\(taskRunId)-a\(attempt)", requestId: "req-\(attempt)", project: "p", projectSecret: nil,
            region: "r", bucket: "b", bucketSecret: nil, provisioningModel: "SPOT")
    }

    static func lines(
        _ texts: [String], stderr: Bool = false, dropped: Int = 0, taskRunId: String = "t1", attempt: Int = 1,
        cursor: String = "2025-01-01T00:00:01Z"
    ) -> LogLinesReceived {
        LogLinesReceived(
            taskRunId: taskRunId, attempt: attempt,
            lines: texts.map { LogLine(time: cursor, severity: stderr ? "ERROR" : "INFO", text: $0, stderr: stderr) },
            droppedLines: dropped, cursorTime: cursor, cursorInsertId: "insert-\(texts.count)")
    }

    static func failed(taskRunId: String = "t1", attempt: Int, willRetry: Bool, allowed: Bool = false) -> TaskFailed {
        TaskFailed(
            taskRunId: taskRunId, attempt: attempt, reason: "exit \(attempt)", exitCode: 1, willRetry: willRetry,
            allowed: allowed)
    }

    /// Folds `events`, each at time `t<index>`.
    static func fold(_ events: [ExecutionEvent]) -> ExecutionState {
        var state = ExecutionState()
        for (index, event) in events.enumerated() { state.apply(event, at: "t\(index)") }
        return state
    }
}
