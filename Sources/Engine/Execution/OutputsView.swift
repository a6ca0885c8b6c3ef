import Flows
import Foundation
import GoogleCloud
import Templates

/// How later tasks see earlier outputs, derived from the execution's fold: `outputs.<taskId>.vars.<key>`,
/// `outputs.<taskId>.outputFiles['name']` (a `kestra:///` URI) and `outputs.<taskId>.exitCode`; inside a
/// ForEach, `outputs.<taskId>[<value>]…`, as Kestra keys iterations by their value.
enum OutputsView {
    static func outputs(of state: ExecutionState) -> OrderedMap {
        var outputs = OrderedMap()
        for run in state.taskRuns where run.state == "SUCCEEDED" || run.state == "WARNING" || run.state == "FAILED" {
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
            entry["state"] = .string(run.state)
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
    static func uri(state: ExecutionState, run: TaskRunState, name: String) -> String {
        let namespace = state.namespace.replacingOccurrences(of: ".", with: "/")
        let runPath = run.taskRunId.replacingOccurrences(of: "[", with: "_").replacingOccurrences(of: "]", with: "")
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

/// Turns `--input NAME=VALUE` into typed inputs, with defaults and required checks.
enum InputResolver {
    static func resolve(_ declared: [FlowInput], given: [String: String]) throws -> [String: TemplateValue] {
        var problems: [String] = []
        var values: [String: TemplateValue] = [:]
        let known = Set(declared.map(\.id.value))
        for name in given.keys.sorted() where !known.contains(name) {
            problems.append(
                "--input \(name): the flow has no input named \(name)"
                    + (known.isEmpty ? "" : " (its inputs: \(known.sorted().joined(separator: ", ")))"))
        }
        for input in declared {
            let name = input.id.value
            guard let text = given[name] else {
                if let defaults = input.defaults {
                    values[name] = Convert.templateValue(defaults)
                } else if input.required.value {
                    problems.append("\(input.location): input \(name) is required: pass --input \(name)=VALUE")
                } else {
                    values[name] = .null
                }
                continue
            }
            switch input.type.value.rawValue {
            case "INT":
                guard let value = Int(text) else {
                    problems.append("--input \(name)=\(text): \(name) is an INT input; give a whole number")
                    continue
                }
                values[name] = .int(value)
            case "FLOAT":
                guard let value = Double(text) else {
                    problems.append("--input \(name)=\(text): \(name) is a FLOAT input; give a number")
                    continue
                }
                values[name] = .double(value)
            case "BOOLEAN":
                guard ["true", "false"].contains(text.lowercased()) else {
                    problems.append("--input \(name)=\(text): \(name) is a BOOLEAN input; give true or false")
                    continue
                }
                values[name] = .bool(text.lowercased() == "true")
            case "JSON":
                do {
                    values[name] = try TemplateValue.parseJSON(text)
                } catch {
                    problems.append("--input \(name): \(error)")
                }
            default:
                values[name] = .string(text)
            }
        }
        if !problems.isEmpty { throw FlowProblems(problems) }
        return values
    }
}

/// The namespace folder's files, by path relative to it.
enum NamespaceFolder {
    static func list(_ folder: URL?) throws -> [String: URL] {
        guard let folder else { return [:] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw FlowProblems(["--namespace-files \(folder.path): no such folder"])
        }
        var files: [String: URL] = [:]
        let base = folder.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        else {
            return [:]
        }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(base + "/") else { continue }
            files[String(path.dropFirst(base.count + 1))] = url
        }
        return files
    }
}
