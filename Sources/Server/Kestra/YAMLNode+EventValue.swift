import Engine
import Flows

extension YAMLNode {
    /// The node as a JSON value: scalars by their YAML core-schema value (a number JSON cannot hold, such as
    /// `.inf`, as its text), mappings as objects in file order, sequences as arrays.
    var eventValue: EventValue {
        switch kind {
        case .scalar(let scalar):
            switch scalar.value {
            case .null: return .null
            case .bool(let value): return .bool(value)
            case .int(let value): return .number(EventNumber(Int64(value)))
            case .float(let value): return EventNumber(value).map(EventValue.number) ?? .string(scalar.text)
            case .string(let value): return .string(value)
            }
        case .sequence(let items):
            return .array(items.map(\.eventValue))
        case .mapping(let entries):
            return .object(EventObject(entries.map { (key: $0.key.value, value: $0.value.eventValue) }))
        }
    }
}
