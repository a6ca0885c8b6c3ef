import Flows
import Foundation
import GoogleCloud
import Templates

/// Conversions between the value types of the flow model, the template engine and the events.
enum Convert {
    /// A flow-file position as the template engine takes it.
    static func origin(_ location: Flows.SourceLocation) -> Templates.SourceLocation {
        Templates.SourceLocation(file: location.file, line: location.line, column: location.column)
    }

    /// A YAML value (variables, input defaults, ForEach items) as a template value.
    static func templateValue(_ node: YAMLNode) -> TemplateValue {
        if let scalar = node.scalar {
            switch scalar.value {
            case .null: return .null
            case .bool(let value): return .bool(value)
            case .int(let value): return .int(value)
            case .float(let value): return .double(value)
            case .string(let value): return .string(value)
            }
        }
        if let items = node.items {
            return .list(items.map(templateValue))
        }
        if let entries = node.entries {
            var map = OrderedMap()
            for entry in entries { map[entry.key.value] = templateValue(entry.value) }
            return .map(map)
        }
        return .null
    }

    static func templateValue(_ json: JSONValue) -> TemplateValue {
        switch json {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9e15 { return .int(Int(value)) }
            return .double(value)
        case .string(let value): return .string(value)
        case .array(let items): return .list(items.map(templateValue))
        case .object(let object):
            var map = OrderedMap()
            for key in object.keys.sorted() { map[key] = templateValue(object[key]!) }
            return .map(map)
        }
    }

    static func json(_ value: TemplateValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .number(Double(value))
        case .double(let value): return .number(value)
        case .string(let value): return .string(value)
        case .list(let items): return .array(items.map(json))
        case .map(let map):
            var object: [String: JSONValue] = [:]
            for entry in map.entries { object[entry.key] = json(entry.value) }
            return .object(object)
        }
    }
}
