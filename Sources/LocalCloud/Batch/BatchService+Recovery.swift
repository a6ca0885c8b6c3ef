import Foundation

/// Taking over jobs after the emulator restarted with the same `--state-dir`.
extension BatchService {
    /// A job that was not finished: queued jobs start again; a running task whose process is still alive is
    /// watched to its end (its exit code comes from the exit file); one whose process is gone fails.
    func resume(_ name: String) {
        guard let record = jobs[name] else { return }
        switch record.state {
        case "QUEUED", "SCHEDULED":
            start(name)
        case "DELETION_IN_PROGRESS":
            forget(name)
            persist(name)
            for (operationName, operation) in operations
            where operation["metadata"]?["target"]?.stringValue == name && operation["done"] != .bool(true) {
                completeOperation(operationName)
            }
        case "CANCELLATION_IN_PROGRESS":
            killProcesses(of: name)
            var copy = record
            setJobState(&copy, "CANCELLED")
            jobs[name] = copy
            persist(name)
        default:
            runners[name] = Task { await self.watchAdopted(name) }
        }
    }

    private func watchAdopted(_ name: String) async {
        guard let record = jobs[name] else { return }
        var succeeded = true
        for task in record.tasks {
            switch task.state {
            case "SUCCEEDED": continue
            case "FAILED":
                succeeded = false
                continue
            default: break
            }
            if let pid = task.pid, let ticks = task.pidStartTicks {
                while ProcessRunner.isAlive(pid: pid, ticks: ticks) && !detached {
                    if stopping.contains(name) { ProcessRunner.killGroup(pid) }
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            guard proceeds(name) else { return }
            let exitText = task.exitFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }
            if let code = exitText.flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                setTaskState(
                    name, task.index, code == 0 ? "SUCCEEDED" : "FAILED", exitCode: code,
                    note:
                        "LocalCloud restarted while the task ran and read its exit code afterwards; output written meanwhile was not logged."
                )
                succeeded = succeeded && code == 0
            } else {
                setTaskState(
                    name, task.index, "FAILED", exitCode: 50000,
                    note:
                        "LocalCloud restarted while the task was running and its process is gone, so the emulator failed it."
                )
                succeeded = false
            }
            clearProcess(name, task.index)
        }
        guard proceeds(name) else { return }
        if var current = jobs[name] {
            current.endedAt = now
            setJobState(
                &current, succeeded ? "SUCCEEDED" : "FAILED",
                description:
                    "Job state is set from RUNNING to \(succeeded ? "SUCCEEDED" : "FAILED") for job \(name) (after the emulator restarted)."
            )
            jobs[name] = current
            persist(name)
        }
    }
}
