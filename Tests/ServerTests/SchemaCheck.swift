import Engine
import Foundation

/// Checks JSON documents against the schemas of an OpenAPI 3.1 document, for the part of JSON Schema that
/// `openapi/batchledger.json` uses: `$ref`, `type` (a name or a list of names), `enum`, `pattern`, `minimum`,
/// `maximum`, `properties`, `required`, `additionalProperties`, `items` and `oneOf`. Values are `EventValue` trees,
/// which keep numbers, booleans and strings apart.
struct SchemaCheck {
    let document: EventValue

    /// The schema `#/components/schemas/NAME`.
    func schema(named name: String) -> EventValue {
        document["components"]?["schemas"]?[name] ?? .null
    }

    /// What `value` breaks of `schema`, each problem at its JSON path; empty when it conforms.
    func problems(_ value: EventValue, _ schema: EventValue, at path: String = "$") -> [String] {
        guard case .object(let rules) = schema else { return [] }
        if let reference = rules["$ref"]?.string {
            guard let target = resolve(reference) else { return ["\(path): \(reference) does not resolve"] }
            return problems(value, target, at: path)
        }
        let types = rules["type"].map { $0.array?.compactMap(\.string) ?? [$0.string ?? ""] }
        if let choices = rules["oneOf"]?.array {
            let matching = choices.filter { problems(value, $0, at: path).isEmpty }.count
            if matching != 1 { return ["\(path): matches \(matching) of the oneOf schemas, not one"] }
        }
        if let types, !types.contains(where: { Self.matches(value, $0) }) {
            return ["\(path): \(value.compactText.prefix(80)) is not of type \(types.joined(separator: " or "))"]
        }
        var found: [String] = []
        if let allowed = rules["enum"]?.array, !allowed.contains(value) {
            found.append("\(path): \(value.compactText) is not one of the enum's values")
        }
        if case .string(let text) = value, let pattern = rules["pattern"]?.string,
            text.range(of: pattern, options: .regularExpression) == nil
        {
            found.append("\(path): \(text.debugDescription) does not match \(pattern)")
        }
        if case .number(let number) = value {
            if let minimum = rules["minimum"], case .number(let bound) = minimum, number.double < bound.double {
                found.append("\(path): \(number) is below \(bound)")
            }
            if let maximum = rules["maximum"], case .number(let bound) = maximum, number.double > bound.double {
                found.append("\(path): \(number) is above \(bound)")
            }
        }
        if case .array(let items) = value, let itemSchema = rules["items"] {
            for (index, item) in items.enumerated() {
                found += problems(item, itemSchema, at: "\(path)[\(index)]")
            }
        }
        if case .object(let object) = value {
            let properties = rules["properties"]
            for name in rules["required"]?.array?.compactMap(\.string) ?? [] where object[name] == nil {
                found.append("\(path): required \(name) is missing")
            }
            for (key, item) in object {
                if let propertySchema = properties?[key] {
                    found += problems(item, propertySchema, at: "\(path).\(key)")
                } else if rules["additionalProperties"]?.bool == false {
                    found.append("\(path): \(key) is not a property of the schema")
                } else if let additional = rules["additionalProperties"], case .object = additional {
                    found += problems(item, additional, at: "\(path).\(key)")
                }
            }
        }
        return found
    }

    /// The schema a local `$ref` (`#/components/…`) names.
    func resolve(_ reference: String) -> EventValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: EventValue? = document
        for part in reference.dropFirst(2).split(separator: "/") {
            node = node?[String(part)]
        }
        return node
    }

    private static func matches(_ value: EventValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("string", .string), ("boolean", .bool), ("number", .number), ("array", .array),
            ("object", .object):
            return true
        case ("integer", .number(let number)):
            return number.int64 != nil
        default:
            return false
        }
    }
}
