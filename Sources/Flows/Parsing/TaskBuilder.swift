/// Builds tasks of any supported type, applying plugin defaults first.
struct TaskBuilder {
    let context: ParseContext
    let pluginDefaults: [PluginDefault]

    static let commonProperties = ["id", "type", "description", "timeout", "retry", "allowFailure", "disabled"]

    /// Kestra task properties BatchLedger does not implement, refused with a message that says so.
    static let unsupportedProperties: [String: String] = {
        var result: [String: String] = [:]
        for key in ["workerGroup", "logLevel", "runIf", "allowWarning", "logToFile", "dependencies", "outputs"] {
            result[key] = "'\(key)' is a Kestra task property that BatchLedger does not support: remove it"
        }
        return result
    }()

    /// Every property of every supported task type, to suggest names when the type itself is missing.
    static var allProperties: [String] {
        commonProperties + ScriptTaskBuilder.scriptProperties
            + ["commands", "script", "tasks", "concurrent", "values", "concurrencyLimit"] + CoreTaskBuilder.properties
    }

    static var supportedTypes: [String] {
        ScriptTask.typeNames + [ParallelTask.typeName, ForEachTask.typeName] + CoreTaskBuilder.typeNames
    }

    /// Reads `key` of `reader` as an optional list of tasks (empty when absent).
    func buildOptionalList(_ reader: MappingReader, key: String, owner: String) -> [FlowTask] {
        guard let node = reader.node(key) else { return [] }
        guard let items = node.items else {
            context.error(
                "property '\(key)' of \(owner) must be a list of tasks, found \(node.shapeDescription)",
                at: node.location)
            return []
        }
        return items.compactMap(build)
    }

    /// A flowable task's `errors` and `finally`.
    func buildHandlers(_ reader: MappingReader, owner: String) -> TaskHandlers {
        TaskHandlers(
            errors: buildOptionalList(reader, key: "errors", owner: owner),
            finally: buildOptionalList(reader, key: "finally", owner: owner))
    }

    /// Reads `key` of `reader` as a required, non-empty list of tasks.
    func buildList(_ reader: MappingReader, key: String, owner: String) -> [FlowTask] {
        guard let node = reader.node(key) else {
            reader.missing(key)
            return []
        }
        guard let items = node.items else {
            context.error(
                "property '\(key)' of \(owner) must be a list of tasks, found \(node.shapeDescription)",
                at: node.location)
            return []
        }
        if items.isEmpty {
            context.error("property '\(key)' of \(owner) must not be empty: add at least one task", at: node.location)
        }
        return items.compactMap(build)
    }

    func build(_ node: YAMLNode) -> FlowTask? {
        guard node.entries != nil else {
            context.error(
                "a task must be a mapping with 'id' and 'type', found \(node.shapeDescription)", at: node.location)
            return nil
        }
        guard let raw = MappingReader(node, owner: "task", context: context) else { return nil }
        guard let type = raw.string("type", required: true) else {
            _ = raw.string("id", required: true)
            raw.rejectUnknown(known: Self.allProperties)
            return nil
        }
        let merged = PluginDefaultsApplier(defaults: pluginDefaults).apply(to: node, pluginType: type.value)
        guard let reader = MappingReader(merged, owner: type.value, context: context) else { return nil }

        if let (language, mode) = Self.scriptKind(type.value) {
            return ScriptTaskBuilder(context: context, taskBuilder: self)
                .build(reader, type: type, language: language, mode: mode).map(FlowTask.script)
        }
        switch type.value {
        case ParallelTask.typeName:
            reader.rejectUnknown(
                known: Self.commonProperties + ["tasks", "concurrent", "errors", "finally"],
                explanations: Self.unsupportedProperties)
            let common = buildCommon(reader, type: type)
            let tasks = buildList(reader, key: "tasks", owner: type.value)
            let concurrent =
                reader.int("concurrent", range: 0...Int.max) ?? Located(0, at: reader.location, isDefault: true)
            let handlers = buildHandlers(reader, owner: type.value)
            guard let common else { return nil }
            return .parallel(ParallelTask(common: common, tasks: tasks, concurrent: concurrent, handlers: handlers))
        case ForEachTask.typeName:
            reader.rejectUnknown(
                known: Self.commonProperties + ["values", "concurrencyLimit", "tasks", "errors", "finally"],
                explanations: Self.unsupportedProperties)
            let common = buildCommon(reader, type: type)
            let values = ForEachValuesReader(context: context).read(reader)
            let limit =
                reader.int("concurrencyLimit", range: 0...Int.max) ?? Located(1, at: reader.location, isDefault: true)
            let tasks = buildList(reader, key: "tasks", owner: type.value)
            let handlers = buildHandlers(reader, owner: type.value)
            guard let common, let values else { return nil }
            return .forEach(
                ForEachTask(common: common, values: values, concurrencyLimit: limit, tasks: tasks, handlers: handlers))
        case _ where CoreTaskBuilder.typeNames.contains(type.value):
            return CoreTaskBuilder(context: context, taskBuilder: self).build(reader, type: type)
        default:
            if let refusal = CoreTaskBuilder.refusedTypes[type.value] {
                context.error(refusal, at: type.location)
                _ = reader.string("id", required: true)
                return nil
            }
            var message = "unknown task type '\(type.value)'"
            if let suggestion = Suggestion.closest(to: type.value, in: Self.supportedTypes) {
                message += " (did you mean '\(suggestion)'?)"
            }
            message += ": supported types are \(Self.supportedTypes.joined(separator: ", "))"
            context.error(message, at: type.location)
            _ = reader.string("id", required: true)
            return nil
        }
    }

    static func scriptKind(_ type: String) -> (ScriptTask.Language, ScriptTask.Mode)? {
        for language in ScriptTask.Language.allCases {
            for mode in ScriptTask.Mode.allCases
            where type == "io.kestra.plugin.scripts.\(language.rawValue).\(mode.rawValue)" {
                return (language, mode)
            }
        }
        return nil
    }

    /// The shared properties; nil when `id` is missing.
    func buildCommon(_ reader: MappingReader, type: Located<String>) -> TaskCommon? {
        let id = reader.string("id", required: true)
        if let id, let problem = KestraRules.taskIDProblem(id.value) {
            context.error("task id '\(id.value)' is invalid: \(problem)", at: id.location)
        }
        let description = reader.string("description")
        let timeout = reader.dynamicDuration("timeout")
        let retry = reader.mapping("retry", owner: "retry") { RetryBuilder(context: context).build($0) }
        let allowFailure = reader.bool("allowFailure", default: false)
        let disabled = reader.bool("disabled", default: false)
        guard let id else { return nil }
        return TaskCommon(
            id: id, type: type, description: description, timeout: timeout, retry: retry, allowFailure: allowFailure,
            disabled: disabled, location: reader.location)
    }
}
