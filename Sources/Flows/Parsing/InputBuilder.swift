import Foundation

/// Builds one `FlowInput` and checks that its `defaults` fits its type.
struct InputBuilder {
    let context: ParseContext

    static let properties = ["id", "type", "description", "displayName", "defaults", "required"]

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
        if let defaults, let type { check(defaults, against: type.value, owner: owner) }
        guard let id, let type else { return nil }
        return FlowInput(
            id: id, type: type, description: description, displayName: displayName, defaults: defaults,
            required: required, location: reader.location)
    }

    private func check(_ value: YAMLNode, against type: FlowInput.InputType, owner: String) {
        if type == .json {
            if let scalar = value.scalar, case .string(let text) = scalar.value, !scalar.isTemplate,
                (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) == nil
            {
                context.error("'defaults' of \(owner) (JSON) is not valid JSON: '\(text)'", at: value.location)
            }
            return
        }
        guard let scalar = value.scalar else {
            context.error(
                "'defaults' of \(owner) must be \(expected(type)), found \(value.shapeDescription)", at: value.location)
            return
        }
        if scalar.isTemplate { return }
        let ok: Bool
        switch (type, scalar.value) {
        case (.string, _): ok = true
        case (.int, .int): ok = true
        case (.int, .string(let text)): ok = Int(text) != nil
        case (.float, .int): ok = true
        // JSON and the ledger hold only finite numbers: .inf, .nan and 1e999 are not FLOAT values.
        case (.float, .float(let number)): ok = number.isFinite
        case (.float, .string(let text)):
            ok = Double(text)?.isFinite == true && text.allSatisfy { "0123456789+-.eE".contains($0) }
        case (.boolean, .bool): ok = true
        case (.boolean, .string(let text)): ok = ["true", "false"].contains(text.lowercased())
        default: ok = false
        }
        if !ok {
            context.error(
                "'defaults' of \(owner) must be \(expected(type)), found '\(Self.shown(scalar.text))'",
                at: value.location)
        }
    }

    /// At most 200 characters of a value, for a message.
    static func shown(_ text: String) -> String {
        text.count > 200 ? text.prefix(200) + "… (\(text.utf8.count) bytes)" : text
    }

    private func expected(_ type: FlowInput.InputType) -> String {
        switch type {
        case .string: return "a string"
        case .int: return "a whole number (INT)"
        case .float: return "a finite number (FLOAT)"
        case .boolean: return "true or false (BOOLEAN)"
        case .json: return "JSON"
        }
    }
}
