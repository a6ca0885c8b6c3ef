/// The evaluated arguments of a filter or function call, with typed accessors whose errors name the callee.
struct Arguments {
    var callee: String
    var position: TemplatePosition
    var positional: [TemplateValue]
    var named: [String: TemplateValue]

    /// The argument at `index`, or the one named `name`.
    func value(_ index: Int, _ name: String) -> TemplateValue? {
        if let value = named[name] { return value }
        return index < positional.count ? positional[index] : nil
    }

    func failure(_ message: String, kind: TemplateError.Kind = .type) -> TemplateFailure {
        TemplateFailure(kind, at: position, "\(callee): \(message)")
    }

    func required(_ index: Int, _ name: String) throws(TemplateFailure) -> TemplateValue {
        guard let value = value(index, name) else { throw failure("missing argument '\(name)'") }
        return value
    }

    func string(_ index: Int, _ name: String) throws(TemplateFailure) -> String {
        let value = try required(index, name)
        guard case .string(let string) = value else {
            throw failure("argument '\(name)' must be a string, not \(value.typeDescription)")
        }
        return string
    }

    func optionalString(_ index: Int, _ name: String) throws(TemplateFailure) -> String? {
        guard let value = value(index, name), value != .null else { return nil }
        guard case .string(let string) = value else {
            throw failure("argument '\(name)' must be a string, not \(value.typeDescription)")
        }
        return string
    }

    func int(_ index: Int, _ name: String) throws(TemplateFailure) -> Int {
        let value = try required(index, name)
        switch value {
        case .int(let int): return int
        case .double(let double) where double.rounded() == double && abs(double) < 9e15: return Int(double)
        default: throw failure("argument '\(name)' must be an integer, not \(value.typeDescription)")
        }
    }

    func optionalInt(_ index: Int, _ name: String) throws(TemplateFailure) -> Int? {
        guard let value = value(index, name), value != .null else { return nil }
        return try int(index, name)
    }

    func bool(_ index: Int, _ name: String, default defaultValue: Bool) throws(TemplateFailure) -> Bool {
        guard let value = value(index, name) else { return defaultValue }
        guard case .bool(let bool) = value else {
            throw failure("argument '\(name)' must be true or false, not \(value.typeDescription)")
        }
        return bool
    }
}
