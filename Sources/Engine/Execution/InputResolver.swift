import Flows
import Foundation
import Templates

/// Turns `--input NAME=VALUE` into typed inputs, with defaults and required checks. Every value is one the
/// ledger can record: INT within 64 bits, FLOAT a finite decimal number, and no JSON number out of range.
enum InputResolver {
    static func resolve(_ declared: [FlowInput], given: [String: String]) throws -> [String: TemplateValue] {
        var problems: [String] = []
        var values: [String: TemplateValue] = [:]
        let known = Set(declared.map(\.id.value))
        for name in given.keys.sorted() where !known.contains(name) {
            problems.append(
                "--input \(quoted(name)): the flow has no input named \(quoted(name))"
                    + (known.isEmpty ? "" : " (its inputs: \(known.sorted().joined(separator: ", ")))"))
        }
        for input in declared {
            let name = input.id.value
            guard let text = given[name] else {
                if let defaults = input.defaults {
                    let value = Convert.templateValue(defaults)
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
            switch parse(text, as: input.type.value) {
            case .success(let value): values[name] = value
            case .failure(let problem): problems.append("--input \(name)=\(quoted(text)): \(problem.message(name))")
            }
        }
        if !problems.isEmpty { throw FlowProblems(problems) }
        return values
    }

    /// Why a given value does not fit its input's type.
    struct Problem: Error {
        var message: (String) -> String
    }

    static func parse(_ text: String, as type: FlowInput.InputType) -> Result<TemplateValue, Problem> {
        switch type {
        case .int:
            if let value = Int64(text) { return .success(.int(Int(value))) }
            if isInteger(text) {
                return .failure(
                    Problem {
                        "\($0) is an INT input and this number is out of range: give a whole number from "
                            + "\(Int64.min) to \(Int64.max)"
                    })
            }
            return .failure(Problem { "\($0) is an INT input; give a whole number such as 42 or -7" })
        case .float:
            guard isDecimal(text), let value = Double(text), value.isFinite else {
                return .failure(
                    Problem {
                        "\($0) is a FLOAT input; give a finite decimal number such as 3.14, -2 or 6.02e23 "
                            + "(not nan or inf, at most about 1.8e308 in size)"
                    })
            }
            return .success(.double(value))
        case .boolean:
            guard ["true", "false"].contains(text.lowercased()) else {
                return .failure(Problem { "\($0) is a BOOLEAN input; give true or false" })
            }
            return .success(.bool(text.lowercased() == "true"))
        case .json:
            let value: TemplateValue
            do {
                value = try TemplateValue.parseJSON(text)
            } catch {
                return .failure(Problem { "\($0) is a JSON input and this is not valid JSON: \(error)" })
            }
            if value.containsNonFiniteNumber {
                return .failure(
                    Problem {
                        "\($0) is a JSON input and a number in it is out of the 64-bit floating-point range: "
                            + "give finite numbers"
                    })
            }
            return .success(value)
        case .string:
            return .success(.string(text))
        }
    }

    /// An optional sign, then decimal digits.
    static func isInteger(_ text: String) -> Bool {
        var body = Substring(text)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        return !body.isEmpty && body.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Decimal notation only (`-1.5`, `.5`, `2e10`): no `nan`, `inf`, hexadecimal floats or spaces.
    static func isDecimal(_ text: String) -> Bool {
        var scalars = Substring(text).unicodeScalars[...]
        func digits() -> Int {
            var count = 0
            while let c = scalars.first, ("0"..."9").contains(c) {
                scalars = scalars.dropFirst()
                count += 1
            }
            return count
        }
        if scalars.first == "-" || scalars.first == "+" { scalars = scalars.dropFirst() }
        var mantissa = digits()
        if scalars.first == "." {
            scalars = scalars.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if scalars.first == "e" || scalars.first == "E" {
            scalars = scalars.dropFirst()
            if scalars.first == "-" || scalars.first == "+" { scalars = scalars.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return scalars.isEmpty
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
