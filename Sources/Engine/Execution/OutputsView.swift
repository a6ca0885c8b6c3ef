import Flows
import Foundation
import GoogleCloud
import Templates

/// How later tasks see earlier outputs, derived from the execution's fold: `outputs.<taskId>.vars.<key>`,
/// `outputs.<taskId>.outputFiles['name']` (a `kestra:///` URI) and `outputs.<taskId>.exitCode`; inside a
/// ForEach, `outputs.<taskId>[<value>]…`, as Kestra keys iterations by their value.
public enum OutputsView {
    static func outputs(of state: ExecutionState) -> OrderedMap {
        var outputs = OrderedMap()
        for run in state.taskRuns where run.state == .succeeded || run.state == .warning || run.state == .failed {
            var vars = OrderedMap()
            for key in run.vars.keys.sorted() { vars[key] = Convert.templateValue(run.vars[key]!) }
            var files = OrderedMap()
            for name in run.outputFiles.keys.sorted() {
                files[name] = .string(uri(state: state, run: run, name: name))
            }
            var entry = OrderedMap()
            entry["vars"] = .map(vars)
            entry["outputFiles"] = .map(files)
            entry["exitCode"] = run.exitCode.map { .int($0) } ?? .null
            entry["state"] = .string(run.state.rawValue)
            if run.type != nil {
                // A core task's outputs sit at the top, as Kestra has them (`outputs.<id>.value`, `.values`).
                for key in run.vars.keys.sorted() { entry[key] = Convert.templateValue(run.vars[key]!) }
            }
            if let value = run.value {
                var byValue: OrderedMap
                if case .map(let existing)? = outputs[run.taskId] { byValue = existing } else { byValue = OrderedMap() }
                byValue[value] = .map(entry)
                outputs[run.taskId] = .map(byValue)
            } else {
                outputs[run.taskId] = .map(entry)
            }
        }
        return outputs
    }

    /// Kestra's internal-storage URI of an output file.
    public static func uri(state: ExecutionState, run: TaskRunState, name: String) -> String {
        let namespace = state.namespace.replacingOccurrences(of: ".", with: "/")
        let runPath = OutputPath.folderName(forTaskRun: run.taskRunId)
        return
            "kestra:///\(namespace)/\(state.flowId)/executions/\(state.executionId)/tasks/\(run.taskId)/\(runPath)/\(name)"
    }

    /// Every output file of the execution so far: URI → local file.
    static func files(of state: ExecutionState) -> [String: URL] {
        var files: [String: URL] = [:]
        for run in state.taskRuns {
            for (name, path) in run.outputFiles {
                files[uri(state: state, run: run, name: name)] = URL(fileURLWithPath: path)
            }
        }
        return files
    }
}
