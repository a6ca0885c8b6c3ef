import Flows

extension TaskRenderer {
    /// The labels of one attempt's Batch job: the runner's `labels`, rendered (values made valid label values;
    /// the first of a repeated key wins), then Kestra's six and BatchLedger's own, which win over a runner label
    /// of the same key. A key that renders to something Google refuses is an error at the key's location.
    func jobLabels(
        namespace: String, flowId: String, taskId: String, executionId: String, taskRunId: String, attempt: Int,
        secretsUsed: SecretLedger
    ) throws -> [String: String] {
        let context = context(baseVariables)
        var extra: [String: String] = [:]
        for label in runner.labels {
            let key = try render(label.key, context, secretsUsed)
            if let problem = GoogleLabelRules.keyProblem(key) {
                throw secretsUsed.problem(
                    "\(label.key.location): label key rendered to '\(key)', which Google Cloud refuses: \(problem)")
            }
            if extra[key] == nil { extra[key] = try render(label.value, context, secretsUsed) }
        }
        return Naming.jobLabels(
            namespace: namespace, flowId: flowId, taskId: taskId, executionId: executionId, taskRunId: taskRunId,
            attempt: attempt, extra: extra)
    }
}
