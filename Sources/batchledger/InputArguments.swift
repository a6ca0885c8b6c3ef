import Engine
import Flows
import Foundation

/// `--input NAME=VALUE` arguments: text values by name, and the files of FILE inputs (`NAME=@PATH`), each path
/// checked (it exists, is a regular file, and is readable) before anything starts.
enum InputArguments {
    static func parse(_ arguments: [String], declared: [FlowInput]) throws -> (
        values: [String: String], files: [String: InputFileSource]
    ) {
        var values: [String: String] = [:]
        var files: [String: InputFileSource] = [:]
        var problems: [String] = []
        let fileInputs = Set(declared.filter { $0.type.value == .file }.map(\.id.value))
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                problems.append("--input \(argument): write NAME=VALUE (NAME=@PATH for a FILE input)")
                continue
            }
            let name = String(argument[..<equals])
            let value = String(argument[argument.index(after: equals)...])
            if values[name] != nil || files[name] != nil {
                problems.append("--input \(name): given twice")
                continue
            }
            guard fileInputs.contains(name), value.hasPrefix("@") else {
                values[name] = value
                continue
            }
            let path = String(value.dropFirst())
            if path.isEmpty {
                problems.append("--input \(name)=@: give the file's path after @")
                continue
            }
            if let problem = InputFileSource.pathProblem(path) {
                problems.append("--input \(name)=@\(path): \(problem)")
                continue
            }
            let url = URL(fileURLWithPath: path).standardizedFileURL
            let filename = url.lastPathComponent
            if let problem = InputFileSource.filenameProblem(filename) {
                problems.append("--input \(name)=@\(path): \(problem)")
                continue
            }
            files[name] = InputFileSource(filename: filename, content: .file(url))
        }
        if !problems.isEmpty { throw EngineFailure.invalidRequest(problems) }
        return (values, files)
    }
}

/// `--label KEY=VALUE` arguments, each checked as a label the ledger and a Kestra server accept.
enum LabelArguments {
    static func parse(_ arguments: [String], option: String) throws -> [String: String] {
        var labels: [String: String] = [:]
        var problems: [String] = []
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                problems.append("\(option) \(TerminalText.escaped(argument)): write KEY=VALUE")
                continue
            }
            let key = String(argument[..<equals])
            let value = String(argument[argument.index(after: equals)...])
            if let problem = ExecutionLabels.problem(key: key, value: value) {
                problems.append("\(option) \(TerminalText.escaped(argument)): \(problem)")
                continue
            }
            if labels.updateValue(value, forKey: key) != nil {
                problems.append("\(option) \(TerminalText.escaped(key)): given twice")
            }
        }
        if !problems.isEmpty { throw EngineFailure.invalidRequest(problems) }
        return labels
    }
}
