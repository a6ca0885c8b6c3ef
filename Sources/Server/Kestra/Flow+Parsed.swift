import Engine
import Flows
import Ledger

extension Kestra.Flow {
    /// Revision `revision` of a parsed flow, with the YAML text it was parsed from (nil for a search result) and
    /// the time it was saved: id, namespace, labels, inputs (Kestra's type names) and tasks (`Kestra.Task(_:)`).
    public init(_ flow: Flows.Flow, source: String?, revision: Int, updated: Timestamp? = nil) {
        var variables: [String: EventValue]?
        if let entries = flow.variables?.entries {
            variables = Dictionary(entries.map { ($0.key.value, $0.value.eventValue) }, uniquingKeysWith: { $1 })
        }
        self.init(
            id: flow.id.value, namespace: flow.namespace.value, revision: revision,
            description: flow.description?.value, disabled: flow.disabled.value,
            labels: flow.labels.map { Kestra.Label(key: $0.key.value, value: $0.value.value) },
            inputs: flow.inputs.map(Kestra.InputObject.init), tasks: flow.tasks.map(Kestra.Task.init),
            variables: variables, updated: updated.map(Kestra.date), source: source)
    }
}

extension Kestra.InputObject {
    /// A flow input under Kestra's names: BOOLEAN is Kestra's BOOL; a default is sent as its text, or as an object
    /// when it is a mapping (Kestra's model takes a string or an object only).
    public init(_ input: FlowInput) {
        var defaults: EventValue?
        if let node = input.defaults {
            switch node.kind {
            case .mapping: defaults = node.eventValue
            case .scalar(let scalar): defaults = scalar.value == .null ? nil : .string(scalar.text)
            case .sequence: defaults = .string(node.eventValue.compactText)
            }
        }
        self.init(
            id: input.id.value, type: input.type.value == .boolean ? "BOOL" : input.type.value.rawValue,
            description: input.description?.value, displayName: input.displayName?.value,
            required: input.required.value, defaults: defaults)
    }
}
