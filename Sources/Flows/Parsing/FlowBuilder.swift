import Foundation

/// Builds a `Flow` from the flow file's root mapping.
struct FlowBuilder {
    let context: ParseContext

    static let properties = [
        "id", "namespace", "revision", "description", "labels", "inputs", "variables", "tasks", "pluginDefaults",
        "disabled", "concurrency",
    ]

    /// Kestra flow properties BatchLedger does not run, with a message that says so.
    static let unsupported: [String: String] = {
        var result: [String: String] = [:]
        for key in [
            "triggers", "errors", "finally", "afterExecution", "outputs", "retry", "sla", "checks",
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
        let disabled = reader.bool("disabled", default: false)

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
            labels: labels, inputs: inputs, variables: variables, tasks: tasks, pluginDefaults: pluginDefaults,
            disabled: disabled, location: root.location)
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
