import Flows
import Foundation
import Templates

/// Conversions between the value types of the flow model, the template engine and the events.
enum Convert {
    /// A flow-file position as the template engine takes it.
    static func origin(_ location: Flows.SourceLocation) -> Templates.SourceLocation {
        Templates.SourceLocation(file: location.file, line: location.line, column: location.column)
    }

    /// Where a template's text starts, with the exact place of each of its characters when `text` (the flow file)
    /// shows how the value is written: a block, a quoted scalar with escapes, a plain scalar over several lines.
    static func origin(_ located: Located<String>, in text: FlowText?) -> Templates.SourceLocation {
        var origin = origin(located.location)
        if let text, TemplateEngine.needsRendering(located.value), let places = text.positions(of: located) {
            origin.positions = TemplatePositions(text: located.value, places: places)
        }
        return origin
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

    static func templateValue(_ json: EventValue) -> TemplateValue {
        switch json {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .number(let number):
            if let value = number.int64, let int = Int(exactly: value) { return .int(int) }
            return .double(number.double)
        case .string(let value): return .string(value)
        case .array(let items): return .list(items.map(templateValue))
        case .object(let object):
            var map = OrderedMap()
            for entry in object { map[entry.key] = templateValue(entry.value) }
            return .map(map)
        }
    }

    static func json(_ value: TemplateValue) -> EventValue {
        switch value {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .number(EventNumber(Int64(value)))
        case .double(let value): return EventNumber(value).map(EventValue.number) ?? .null
        case .string(let value): return .string(value)
        case .list(let items): return .array(items.map(json))
        case .map(let map):
            return .object(EventObject(map.entries.map { (key: $0.key, value: json($0.value)) }))
        }
    }
}
