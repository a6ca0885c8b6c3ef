import Flows
import Foundation
import Templates

/// Turns `--input NAME=VALUE` (and the files given for FILE inputs) into typed inputs, with defaults, required
/// checks and each type's own checks (Kestra's `validator`, `min`/`max`, `after`/`before`, `values`, `itemType`).
/// Every value is one the ledger can record: INT within 64 bits, FLOAT a finite decimal number, and no JSON number
/// out of range. A FILE input's value is set when its file is stored (`InputFiles`), not here.
enum InputResolver {
    static func resolve(
        _ declared: [FlowInput], given: [String: String], files: Set<String> = [],
        inherited: [String: TemplateValue] = [:]
    ) throws -> [String: TemplateValue] {
        var problems: [String] = []
        var values: [String: TemplateValue] = [:]
        let known = Set(declared.map(\.id.value))
        for name in Set(given.keys).union(files).sorted() where !known.contains(name) {
            problems.append(
                "--input \(quoted(name)): the flow has no input named \(quoted(name))"
                    + (known.isEmpty ? "" : " (its inputs: \(known.sorted().joined(separator: ", ")))"))
        }
        for input in declared {
            let name = input.id.value
            if given[name] == nil, !files.contains(name), let value = inherited[name] {
                // A fork keeps the parent's value of every input it does not give again.
                values[name] = value
                continue
            }
            if input.type.value == .file {
                if let text = given[name] {
                    problems.append(
                        "--input \(name)=\(quoted(text)): \(name) is a FILE input; give a file: --input \(name)=@PATH "
                            + "(or a file part of a multipart form)")
                } else if !files.contains(name) && input.required.value {
                    problems.append("\(input.location): input \(name) is required: pass --input \(name)=@PATH")
                } else if !files.contains(name) {
                    values[name] = .null
                }
                continue
            }
            if files.contains(name) {
                problems.append(
                    "input \(name) is a \(input.type.value.rawValue) input, not a FILE: give its value as text")
                continue
            }
            guard let text = given[name] else {
                if let defaults = input.defaults {
                    let value = defaultValue(defaults, input)
                    if value.containsNonFiniteNumber {
                        problems.append(
                            "\(defaults.location): the default of input \(name) holds a number that is not finite "
                                + "(.inf, .nan or out of the 64-bit floating-point range): give a finite number")
                        continue
                    }
                    values[name] = value
                } else if input.required.value {
                    problems.append("\(input.location): input \(name) is required: pass --input \(name)=VALUE")
                } else {
                    values[name] = .null
                }
                continue
            }
            switch parse(text, as: input.type.value, constraints: input.constraints) {
            case .success(let value): values[name] = value
            case .failure(let problem): problems.append("--input \(name)=\(quoted(text)): \(problem.message(name))")
            }
        }
        if !problems.isEmpty { throw FlowProblems(problems) }
        return values
    }

    /// A default as written; a YAML input's default given as text is read as YAML.
    static func defaultValue(_ node: YAMLNode, _ input: FlowInput) -> TemplateValue {
        let value = Convert.templateValue(node)
        if input.type.value == .yaml, case .string(let text) = value,
            case .success(let parsed) = parse(text, as: .yaml, constraints: input.constraints)
        {
            return parsed
        }
        return value
    }

    /// Why a given value does not fit its input's type.
    struct Problem: Error {
        var message: (String) -> String
    }

    static func parse(_ text: String, as type: FlowInput.InputType, constraints: FlowInput.Constraints = .init())
        -> Result<TemplateValue, Problem>
    {
        // A list's items are checked one by one below.
        if ![.array, .multiselect].contains(type.canonical),
            let problem = InputValueRules.problem(text, type: type, constraints: constraints)
        {
            return .failure(Problem { "\($0) \(problem)" })
        }
        switch type.canonical {
        case .int:
            return .success(.int(Int(Int64(text)!)))
        case .float:
            return .success(.double(Double(text)!))
        case .boolean:
            return .success(.bool(text.lowercased() == "true"))
        case .json:
            return json(text, type: "JSON")
        case .yaml:
            switch FlowParser.parseValue(yaml: text, file: "input") {
            case .success(let node):
                let value = Convert.templateValue(node)
                if value.containsNonFiniteNumber {
                    return .failure(
                        Problem { "\($0) is a YAML input and a number in it is not finite: give finite numbers" })
                }
                return .success(value)
            case .failure(let problems):
                return .failure(Problem { "\($0) is a YAML input and this is not YAML: \(problems)" })
            }
        case .array, .multiselect:
            let parsed = json(text, type: type.rawValue)
            guard case .success(let value) = parsed else { return parsed }
            guard case .list(let items) = value else {
                return .failure(
                    Problem { "\($0) is a \(type.rawValue) input; give a JSON list such as [\"a\", \"b\"]" })
            }
            let itemType =
                type == .multiselect ? FlowInput.InputType.multiselect : constraints.itemType?.value ?? .string
            var typed: [TemplateValue] = []
            for item in items {
                let itemText: String
                switch item {
                case .string(let string): itemText = string
                case .int, .double, .bool: itemText = item.json
                default:
                    return .failure(
                        Problem {
                            "\($0) is a \(type.rawValue) input whose items are single values, not lists or objects"
                        })
                }
                if let problem = InputValueRules.problem(itemText, type: itemType, constraints: constraints) {
                    return .failure(Problem { "\($0)'s item \(quoted(itemText)): \($0) \(problem)" })
                }
                if type == .multiselect {
                    typed.append(.string(itemText))
                } else {
                    switch parse(itemText, as: itemType, constraints: constraints) {
                    case .success(let value): typed.append(value)
                    case .failure(let problem): return .failure(problem)
                    }
                }
            }
            return .success(.list(typed))
        default:
            return .success(.string(text))
        }
    }

    private static func json(_ text: String, type: String) -> Result<TemplateValue, Problem> {
        let value: TemplateValue
        do {
            value = try TemplateValue.parseJSON(text)
        } catch {
            return .failure(Problem { "\($0) is a \(type) input and this is not valid JSON: \(error)" })
        }
        if value.containsNonFiniteNumber {
            return .failure(
                Problem {
                    "\($0) is a \(type) input and a number in it is out of the 64-bit floating-point range: "
                        + "give finite numbers"
                })
        }
        return .success(value)
    }

    static func quoted(_ text: String) -> String { MessageQuote.quoted(text) }
}

extension TemplateValue {
    /// True when a double anywhere in the value is NaN or infinite (JSON and the ledger cannot hold one).
    var containsNonFiniteNumber: Bool {
        switch self {
        case .double(let value): return !value.isFinite
        case .list(let items): return items.contains { $0.containsNonFiniteNumber }
        case .map(let map): return map.entries.contains { $0.value.containsNonFiniteNumber }
        default: return false
        }
    }
}
