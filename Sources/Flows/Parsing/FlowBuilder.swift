import Foundation

/// Builds a `Flow` from the flow file's root mapping.
struct FlowBuilder {
    let context: ParseContext

    static let properties = [
        "id", "namespace", "revision", "description", "labels", "inputs", "variables", "tasks", "pluginDefaults",
        "disabled", "errors", "finally", "afterExecution", "outputs", "triggers", "concurrency",
    ]

    /// Kestra flow properties BatchLedger does not run, with a message that says so.
    static let unsupported: [String: String] = {
        var result: [String: String] = [:]
        for key in [
            "retry", "sla", "checks",
            "tenantId", "deleted", "workerGroup", "listeners",
        ] {
            result[key] = "'\(key)' is a Kestra flow property that BatchLedger does not support: remove it"
        }
        result["taskDefaults"] = "'taskDefaults' is Kestra's old name for 'pluginDefaults': rename it"
        return result
    }()

    func build(_ root: YAMLNode) -> Flow? {
        guard root.entries != nil else {
            context.error(
                "a flow file must be a mapping with at least 'id', 'namespace' and 'tasks', found "
                    + root.shapeDescription, at: root.location)
            return nil
        }
        guard let reader = MappingReader(root, owner: "flow", context: context) else { return nil }
        reader.rejectUnknown(known: Self.properties, explanations: Self.unsupported)

        let id = reader.string("id", required: true)
        if let id, let problem = KestraRules.flowIDProblem(id.value) {
            context.error("flow id '\(id.value)' is invalid: \(problem)", at: id.location)
        }
        let namespace = reader.string("namespace", required: true)
        if let namespace, let problem = KestraRules.namespaceProblem(namespace.value) {
            context.error("namespace '\(namespace.value)' is invalid: \(problem)", at: namespace.location)
        }
        let revision = reader.int("revision", range: 1...Int.max)
        let description = reader.string("description")
        let labels = readLabels(reader)
        let inputs = reader.mappingList("inputs", itemOwner: "input") { InputBuilder(context: context).build($0) } ?? []
        var variables: YAMLNode?
        if let node = reader.node("variables") {
            if node.entries == nil {
                context.error(
                    "property 'variables' of flow must be a mapping, found \(node.shapeDescription)", at: node.location)
            } else {
                variables = node
            }
        }
        let pluginDefaults =
            reader.mappingList("pluginDefaults", itemOwner: "pluginDefaults entry") { readPluginDefault($0) } ?? []
        let taskBuilder = TaskBuilder(context: context, pluginDefaults: pluginDefaults)
        let tasks = taskBuilder.buildList(reader, key: "tasks", owner: "flow")
        let errors = taskBuilder.buildOptionalList(reader, key: "errors", owner: "flow")
        let finally = taskBuilder.buildOptionalList(reader, key: "finally", owner: "flow")
        let afterExecution = taskBuilder.buildOptionalList(reader, key: "afterExecution", owner: "flow")
        let outputs = reader.mappingList("outputs", itemOwner: "output") { readOutput($0) } ?? []
        let disabled = reader.bool("disabled", default: false)
        let triggers = reader.mappingList("triggers", itemOwner: "trigger") { TriggerBuilder(context: context).build($0) }
        var triggerIDs = Set<String>()
        for trigger in triggers ?? [] where !triggerIDs.insert(trigger.id.value).inserted {
            context.error("trigger id '\(trigger.id.value)' is used twice in the flow", at: trigger.id.location)
        }

        let concurrency = reader.mapping("concurrency", owner: "concurrency") { nested -> FlowConcurrency? in
            nested.rejectUnknown(known: ["limit", "behavior"])
            let limit = nested.int("limit", range: 1...Int.max)
            if nested.node("limit") == nil {
                context.error("concurrency needs 'limit': how many executions may run at once", at: nested.location)
            }
            let behavior =
                nested.enumeration("behavior", FlowConcurrency.Behavior.self)
                ?? Located(.queue, at: nested.location, isDefault: true)
            return limit.map { FlowConcurrency(limit: $0, behavior: behavior) }
        }

        guard let id, let namespace else { return nil }
        var flow = Flow(
            file: context.file, id: id, namespace: namespace, revision: revision, description: description,
            labels: labels, inputs: inputs, variables: variables, tasks: tasks, errors: errors, finally: finally,
            afterExecution: afterExecution, outputs: outputs, pluginDefaults: pluginDefaults,
            disabled: disabled, location: root.location)
        flow.triggers = triggers ?? []
        flow.concurrency = concurrency
        return flow
    }

    /// Labels as a mapping (`team: data`) or as a list of `{key, value}` mappings, both accepted by Kestra.
    private func readLabels(_ reader: MappingReader) -> [FlowLabel] {
        guard let node = reader.node("labels") else { return [] }
        var labels: [FlowLabel] = []
        if node.entries != nil {
            for pair in reader.stringMap("labels") ?? [] {
                labels.append(FlowLabel(key: pair.key, value: pair.value))
            }
        } else if let items = node.items {
            for item in items {
                guard let entry = MappingReader(item, owner: "label", context: context) else { continue }
                entry.rejectUnknown(known: ["key", "value"])
                guard let key = entry.string("key", required: true), let value = entry.string("value", required: true)
                else { continue }
                labels.append(FlowLabel(key: key, value: value))
            }
        } else {
            context.error(
                "property 'labels' of flow must be a mapping of keys to values, found \(node.shapeDescription)",
                at: node.location)
        }
        return labels
    }

    /// One flow output: `id`, `type`, `value` (a template) and an optional `description`.
    private func readOutput(_ reader: MappingReader) -> FlowOutput? {
        reader.rejectUnknown(
            known: ["id", "type", "value", "description"],
            explanations: ["required": "'required' of a flow output is not supported by BatchLedger: remove it"])
        let id = reader.string("id", required: true)
        if let id, let problem = KestraRules.inputIDProblem(id.value) {
            context.error("output id '\(id.value)' is invalid: \(problem)", at: id.location)
        }
        var type: Located<FlowOutput.Kind>?
        if let text = reader.string("type", required: true) {
            if let kind = FlowOutput.Kind.allCases.first(where: { $0.rawValue == text.value.uppercased() }) {
                type = Located(kind, at: text.location)
            } else {
                context.error(
                    "output type '\(text.value)' is not supported by BatchLedger: supported output types are "
                        + FlowOutput.Kind.allCases.map(\.rawValue).joined(separator: ", "), at: text.location)
            }
        }
        let value = reader.string("value", required: true)
        let description = reader.string("description")
        guard let id, let type, let value else { return nil }
        return FlowOutput(id: id, type: type, value: value, description: description)
    }

    private func readPluginDefault(_ reader: MappingReader) -> PluginDefault? {
        reader.rejectUnknown(known: ["type", "values", "forced"])
        let type = reader.string("type", required: true)
        let forced = reader.bool("forced", default: false)
        guard let values = reader.node("values") else {
            reader.missing("values")
            return nil
        }
        guard values.entries != nil else {
            context.error(
                "property 'values' of pluginDefaults entry must be a mapping of properties, found "
                    + values.shapeDescription, at: values.location)
            return nil
        }
        guard let type else { return nil }
        return PluginDefault(type: type, forced: forced, values: values, location: reader.location)
    }
}
