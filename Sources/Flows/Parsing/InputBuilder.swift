import Foundation

/// Builds one `FlowInput` and checks that its constraints and `defaults` fit its type.
struct InputBuilder {
    let context: ParseContext

    static let properties = [
        "id", "type", "description", "displayName", "defaults", "required", "validator", "min", "max", "after",
        "before", "values", "allowCustomValue", "itemType",
    ]

    func build(_ reader: MappingReader) -> FlowInput? {
        let id = reader.string("id", required: true)
        if let id, let problem = KestraRules.inputIDProblem(id.value) {
            context.error("input id '\(id.value)' is invalid: \(problem)", at: id.location)
        }
        let typed = reader.renamed(owner: id.map { "input '\($0.value)'" } ?? "input")
        let owner = typed.owner
        typed.rejectUnknown(known: Self.properties)
        let type = typed.enumeration("type", FlowInput.InputType.self, required: true)
        let description = typed.string("description")
        let displayName = typed.string("displayName")
        let required = typed.bool("required", default: true)
        let defaults = typed.node("defaults")
        let constraints = FlowInput.Constraints(
            validator: typed.string("validator"), min: typed.string("min"), max: typed.string("max"),
            after: typed.string("after"), before: typed.string("before"), values: typed.stringList("values") ?? [],
            allowCustomValue: typed.bool("allowCustomValue", default: false).value,
            itemType: typed.enumeration("itemType", FlowInput.InputType.self))
        if let type {
            if type.value == .secret {
                context.error(
                    "\(owner) is of type SECRET, which BatchLedger does not support: a SECRET input's value would be "
                        + "stored with the execution, and the ledger keeps no secret values; put the value in "
                        + "--secrets-file (or a SECRET_<NAME> variable) and read it with {{ secret('NAME') }}",
                    at: type.location)
            }
            for (problem, location) in InputValueRules.constraintProblems(
                type.value, constraints, input: reader.location)
            {
                context.error("\(owner): \(problem)", at: location)
            }
            if let defaults {
                check(defaults, against: type.value, constraints, owner: owner)
            }
        }
        guard let id, let type else { return nil }
        return FlowInput(
            id: id, type: type, description: description, displayName: displayName, defaults: defaults,
            required: required, location: reader.location, constraints: constraints)
    }

    private func check(
        _ value: YAMLNode, against type: FlowInput.InputType, _ constraints: FlowInput.Constraints, owner: String
    ) {
        switch type.canonical {
        case .json:
            if let scalar = value.scalar, case .string(let text) = scalar.value, !scalar.isTemplate,
                (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) == nil
            {
                context.error("'defaults' of \(owner) (JSON) is not valid JSON: '\(text)'", at: value.location)
            }
            return
        case .file:
            context.error(
                "'defaults' of \(owner) (FILE) is not supported: give the file when starting the execution "
                    + "(--input NAME=@PATH, or a multipart file part)", at: value.location)
            return
        case .array, .multiselect, .yaml:
            return
        default:
            break
        }
        guard let scalar = value.scalar else {
            context.error(
                "'defaults' of \(owner) must be \(expected(type)), found \(value.shapeDescription)", at: value.location)
            return
        }
        if scalar.isTemplate { return }
        let ok: Bool
        switch (type.canonical, scalar.value) {
        case (.int, .int): ok = true
        case (.float, .int): ok = true
        // JSON and the ledger hold only finite numbers: .inf, .nan and 1e999 are not FLOAT values.
        case (.float, .float(let number)): ok = number.isFinite
        case (.boolean, .bool): ok = true
        case (.int, .string(let text)), (.float, .string(let text)), (.boolean, .string(let text)):
            ok = InputValueRules.problem(text, type: type) == nil
        case (.string, _), (_, .string): ok = true
        default: ok = false
        }
        if !ok {
            context.error(
                "'defaults' of \(owner) must be \(expected(type)), found '\(Self.shown(scalar.text))'",
                at: value.location)
        } else if let problem = InputValueRules.problem(scalar.text, type: type, constraints: constraints) {
            context.error(
                "'defaults' of \(owner) '\(Self.shown(scalar.text))' does not fit: \(owner) \(problem)",
                at: value.location)
        }
    }

    /// At most 200 characters of a value, for a message.
    static func shown(_ text: String) -> String {
        text.count > 200 ? text.prefix(200) + "… (\(text.utf8.count) bytes)" : text
    }

    private func expected(_ type: FlowInput.InputType) -> String {
        switch type.canonical {
        case .string: return "a string"
        case .int: return "a whole number (INT)"
        case .float: return "a finite number (FLOAT)"
        case .boolean: return "true or false (BOOLEAN)"
        case .json: return "JSON"
        default: return "a \(type.rawValue) value"
        }
    }
}
