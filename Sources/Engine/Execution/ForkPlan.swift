import Flows
import Foundation

/// Which of a parent's task runs a fork runs again, from what the user named: a task anywhere in the flow (`task`,
/// nested in a Parallel, a ForEach or any task that holds tasks), or one ForEach iteration of it (`task[value]`,
/// by the iteration's value, else by its task-run id such as `task[2]`).
///
/// From a task: that task, the tasks it holds, the tasks after it in the list that holds it, and so on outwards
/// (tasks after a Parallel or ForEach that holds it, never the Parallel's other branches). From an iteration: the
/// same, but inside the ForEach only that iteration's runs; the tasks after the ForEach run again too. Every other
/// task run of the parent is adopted.
struct ForkPlan: Equatable {
    /// The parent's task runs to run again (their ids).
    var rerun: Set<String>

    static func make(from: String, flow: Flow, parent: ExecutionState) throws -> ForkPlan {
        let (taskId, value) = split(from)
        guard
            let path = Self.path(to: taskId, in: flow.tasks) ?? flow.task(withID: taskId).map({ [($0, [FlowTask]())] })
        else {
            let ids = flow.allTasks.map(\.id.value)
            throw FlowProblems([
                "fork --from \(from): flow \(flow.namespace.value)/\(flow.id.value) has no task \(taskId) "
                    + "(its tasks: \(ids.joined(separator: ", ")))"
            ])
        }
        // path: from the outermost container's entry down to the task, each with its later siblings.
        let target = path.last!.task
        func ids(_ task: FlowTask) -> [String] { [task.id.value] + task.childTasks.flatMap(ids) }
        var rerun: Set<String> = []
        guard let value else {
            var tasks = Set(ids(target))
            for step in path { tasks.formUnion(step.later.flatMap(ids)) }
            rerun = Set(parent.taskRuns.filter { tasks.contains($0.taskId) }.map(\.taskRunId))
            return ForkPlan(rerun: rerun)
        }
        // The innermost ForEach on the way (the task itself when it is one).
        guard
            let loopIndex = path.lastIndex(where: { if case .forEach = $0.task { return true } else { return false } })
        else {
            throw FlowProblems([
                "fork --from \(from): task \(taskId) is not in a ForEach, so it has no iteration \(value): fork from "
                    + "\(taskId)"
            ])
        }
        let loop = path[loopIndex].task
        var inside = Set(ids(target))
        for step in path[(loopIndex + 1)...] { inside.formUnion(step.later.flatMap(ids)) }
        if loopIndex == path.count - 1 { inside = Set(ids(loop)) }
        var after: Set<String> = []
        for step in path[...loopIndex] { after.formUnion(step.later.flatMap(ids)) }
        // The iteration: the suffix of a run of the loop's tasks whose value (or run id) is the one named.
        let candidates = parent.taskRuns.filter { inside.contains($0.taskId) || ids(loop).contains($0.taskId) }
        let matching =
            candidates.filter { $0.value == value }.isEmpty
            ? candidates.filter { $0.taskRunId == from } : candidates.filter { $0.value == value }
        guard let run = matching.first else {
            let values = Set(candidates.compactMap(\.value)).sorted()
            throw FlowProblems([
                "fork --from \(from): execution \(parent.executionId) has no run of \(taskId) with value \(value)"
                    + (values.isEmpty ? "" : " (its values: \(values.joined(separator: ", ")))")
            ])
        }
        let suffix = String(run.taskRunId.dropFirst(run.taskId.count))
        rerun = Set(
            parent.taskRuns.filter { run in
                (inside.contains(run.taskId) && run.taskRunId.dropFirst(run.taskId.count).hasPrefix(suffix))
                    || after.contains(run.taskId)
            }.map(\.taskRunId))
        return ForkPlan(rerun: rerun)
    }

    /// `task[value]` → (task, value); `task` → (task, nil). The value is everything between the first `[` and the
    /// last `]` (a task id has no brackets).
    static func split(_ from: String) -> (String, String?) {
        guard from.hasSuffix("]"), let open = from.firstIndex(of: "[") else { return (from, nil) }
        return (String(from[..<open]), String(from[from.index(after: open)..<from.index(before: from.endIndex)]))
    }

    /// The chain of containers down to `id`: for each level, the task on the way and the tasks that run after it
    /// in the same list (none inside a Parallel, whose tasks run side by side).
    static func path(to id: String, in tasks: [FlowTask], parallel: Bool = false) -> [(
        task: FlowTask, later: [FlowTask]
    )]? {
        for (index, task) in tasks.enumerated() {
            let later = parallel ? [] : Array(tasks[(index + 1)...])
            if task.id.value == id { return [(task, later)] }
            var isParallel = false
            if case .parallel = task { isParallel = true }
            if let inner = path(to: id, in: task.childTasks, parallel: isParallel) {
                return [(task, later)] + inner
            }
        }
        return nil
    }

    static func == (lhs: ForkPlan, rhs: ForkPlan) -> Bool { lhs.rerun == rhs.rerun }
}
