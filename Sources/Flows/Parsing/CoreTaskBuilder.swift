/// Builds Kestra's core tasks that run without a container: Log, Return, OutputValues, If, Switch, Sequential,
/// Pause (with a delay) and Subflow; refuses, by name, the core tasks BatchLedger does not run.
struct CoreTaskBuilder {
    let context: ParseContext
    let taskBuilder: TaskBuilder

    static let typeNames = [
        LogTask.typeName, ReturnTask.typeName, OutputValuesTask.typeName, IfTask.typeName, SwitchTask.typeName,
        SequentialTask.typeName, SequentialTask.allowFailureTypeName, PauseTask.typeName, SubflowTask.typeName,
    ]

    /// Every property of these types, to suggest names.
    static let properties = [
        "message", "level", "format", "condition", "then", "else", "value", "cases", "defaults", "errors", "finally",
        "delay", "pauseDuration", "namespace", "flowId", "inputs", "wait", "transmitFailed",
    ]

    /// Kestra task types BatchLedger refuses, each with what to do instead.
    static let refusedTypes: [String: String] = {
        var result: [String: String] = [:]
        let flow = "io.kestra.plugin.core.flow."
        for name in [
            "EachSequential", "EachParallel", "ForEachItem", "Dag", "WorkingDirectory", "Template",
            "LoopUntil", "ChildFlow", "Sleep",
        ] {
            result[flow + name] =
                "task type '\(flow + name)' (\(name)) is a Kestra flowable task that BatchLedger does not run: "
                + "supported flowable tasks are If, Switch, Sequential, AllowFailure, Parallel, ForEach, Pause (with a "
                + "delay) and Subflow"
        }
        for name in ["Fail", "Exit", "Labels", "Resume", "PurgeExecutions", "SetVariables", "UnsetVariables"] {
            let type = "io.kestra.plugin.core.execution." + name
            result[type] = "task type '\(type)' (\(name)) is not supported by BatchLedger: remove it"
        }
        let renamed = [
            "io.kestra.core.tasks.log.Log": LogTask.typeName,
            "io.kestra.core.tasks.debugs.Return": ReturnTask.typeName,
            "io.kestra.core.tasks.flows.If": IfTask.typeName,
            "io.kestra.core.tasks.flows.Switch": SwitchTask.typeName,
            "io.kestra.core.tasks.flows.Sequential": SequentialTask.typeName,
            "io.kestra.core.tasks.flows.Pause": PauseTask.typeName,
            "io.kestra.core.tasks.flows.Subflow": SubflowTask.typeName,
            "io.kestra.core.tasks.flows.Parallel": ParallelTask.typeName,
            "io.kestra.core.tasks.flows.EachSequential": ForEachTask.typeName,
            "io.kestra.core.tasks.flows.Flow": SubflowTask.typeName,
        ]
        for (old, new) in renamed {
            result[old] = "task type '\(old)' is Kestra's old name: write '\(new)'"
        }
        return result
    }()

    func build(_ reader: MappingReader, type: Located<String>) -> FlowTask? {
        let common = TaskBuilder.commonProperties
        let unsupported = TaskBuilder.unsupportedProperties
        switch type.value {
        case LogTask.typeName:
            reader.rejectUnknown(known: common + ["message", "level"], explanations: unsupported)
            let base = taskBuilder.buildCommon(reader, type: type)
            var messages: [Located<String>] = []
            if let node = reader.node("message") {
                if node.items != nil {
                    messages = reader.stringList("message") ?? []
                } else {
                    messages = reader.string("message").map { [$0] } ?? []
                }
            } else {
                reader.missing("message")
            }
            let level =
                reader.enumeration("level", LogTask.Level.self)
                ?? Located(.info, at: reader.location, isDefault: true)
            guard let base else { return nil }
            return .log(LogTask(common: base, messages: messages, level: level))
        case ReturnTask.typeName:
            reader.rejectUnknown(known: common + ["format"], explanations: unsupported)
            let base = taskBuilder.buildCommon(reader, type: type)
            let format = reader.string("format")
            guard let base else { return nil }
            return .returnValue(ReturnTask(common: base, format: format))
        case OutputValuesTask.typeName:
            reader.rejectUnknown(known: common + ["values"], explanations: unsupported)
            let base = taskBuilder.buildCommon(reader, type: type)
            let values = reader.node("values")
            if values == nil { reader.missing("values") }
            if let values, values.entries == nil {
                context.error(
                    "property 'values' of \(type.value) must be a mapping of output names to values, found "
                        + values.shapeDescription, at: values.location)
                return nil
            }
            guard let base, let values else { return nil }
            return .outputValues(OutputValuesTask(common: base, values: values))
        case IfTask.typeName:
            reader.rejectUnknown(
                known: common + ["condition", "then", "else", "errors", "finally"], explanations: unsupported)
            let base = taskBuilder.buildCommon(reader, type: type)
            let condition = reader.string("condition", required: true)
            let then = taskBuilder.buildList(reader, key: "then", owner: type.value)
            let otherwise = taskBuilder.buildOptionalList(reader, key: "else", owner: type.value)
            let handlers = taskBuilder.buildHandlers(reader, owner: type.value)
            guard let base, let condition else { return nil }
            return .ifTask(
                IfTask(common: base, condition: condition, then: then, otherwise: otherwise, handlers: handlers))
        case SwitchTask.typeName:
            reader.rejectUnknown(
                known: common + ["value", "cases", "defaults", "errors", "finally"], explanations: unsupported)
            let base = taskBuilder.buildCommon(reader, type: type)
            let value = reader.string("value", required: true)
            var cases: [SwitchTask.Case] = []
            if let node = reader.node("cases") {
                if let entries = node.entries {
                    for entry in entries {
                        guard let items = entry.value.items else {
                            context.error(
                                "case '\(entry.key.value)' of \(type.value) must be a list of tasks, found "
                                    + entry.value.shapeDescription, at: entry.value.location)
                            continue
                        }
                        cases.append(SwitchTask.Case(key: entry.key, tasks: items.compactMap(taskBuilder.build)))
                    }
                } else {
                    context.error(
                        "property 'cases' of \(type.value) must be a mapping of values to lists of tasks, found "
                            + node.shapeDescription, at: node.location)
                }
            }
            let defaults = taskBuilder.buildOptionalList(reader, key: "defaults", owner: type.value)
            if reader.node("cases") == nil && reader.node("defaults") == nil {
                context.error(
                    "\(type.value) needs 'cases' or 'defaults': add the tasks to run for each value",
                    at: reader.location)
            }
            let handlers = taskBuilder.buildHandlers(reader, owner: type.value)
            guard let base, let value else { return nil }
            return .switchTask(
                SwitchTask(common: base, value: value, cases: cases, defaults: defaults, handlers: handlers))
        case SequentialTask.typeName, SequentialTask.allowFailureTypeName:
            reader.rejectUnknown(known: common + ["tasks", "errors", "finally"], explanations: unsupported)
            var base = taskBuilder.buildCommon(reader, type: type)
            if type.value == SequentialTask.allowFailureTypeName {
                // AllowFailure is a Sequential whose failure lets the flow go on.
                base?.allowFailure = Located(true, at: type.location)
            }
            let tasks = taskBuilder.buildList(reader, key: "tasks", owner: type.value)
            let handlers = taskBuilder.buildHandlers(reader, owner: type.value)
            guard let base else { return nil }
            return .sequential(SequentialTask(common: base, tasks: tasks, handlers: handlers))
        case PauseTask.typeName:
            var explanations = unsupported
            for key in ["behavior", "onResume", "onPause"] {
                explanations[key] =
                    "'\(key)' of a Pause task needs a manual resume, which BatchLedger does not support: remove it "
                    + "and give the Pause a delay"
            }
            reader.rejectUnknown(known: common + ["delay", "pauseDuration"], explanations: explanations)
            let base = taskBuilder.buildCommon(reader, type: type)
            let delay = reader.dynamicDuration("delay") ?? reader.dynamicDuration("pauseDuration")
            if reader.node("delay") == nil && reader.node("pauseDuration") == nil {
                context.error(
                    "a Pause without 'delay' waits for a manual resume, which BatchLedger does not support: give it "
                        + "a delay such as PT30S", at: reader.location)
            }
            guard let base, let delay else { return nil }
            return .pause(PauseTask(common: base, delay: delay))
        case SubflowTask.typeName:
            var explanations = unsupported
            for key in ["labels", "inheritLabels", "scheduleDate", "restartBehavior"] {
                explanations[key] = "'\(key)' of a Subflow task is not supported by BatchLedger: remove it"
            }
            reader.rejectUnknown(
                known: common + ["namespace", "flowId", "revision", "inputs", "wait", "transmitFailed"],
                explanations: explanations)
            let base = taskBuilder.buildCommon(reader, type: type)
            let namespace = reader.string("namespace", required: true)
            let flowId = reader.string("flowId", required: true)
            let revision = reader.int("revision", range: 1...Int.max)
            var inputs: [YAMLEntry] = []
            if let node = reader.node("inputs") {
                if let entries = node.entries {
                    inputs = entries
                } else {
                    context.error(
                        "property 'inputs' of \(type.value) must be a mapping of input ids to values, found "
                            + node.shapeDescription, at: node.location)
                }
            }
            let wait = reader.bool("wait", default: true)
            if !wait.value {
                context.error(
                    "'wait: false' is not supported by BatchLedger: a Subflow always waits for its child execution",
                    at: wait.location)
            }
            let transmitFailed = reader.bool("transmitFailed", default: true)
            if !transmitFailed.value {
                context.error(
                    "'transmitFailed: false' is not supported by BatchLedger: a failed child execution fails the "
                        + "Subflow task (set allowFailure: true to go on)", at: transmitFailed.location)
            }
            for namespaceLike in [namespace, flowId].compactMap({ $0 }) where namespaceLike.isTemplate {
                context.error(
                    "a Subflow's namespace and flowId must be written out, not templates: the child flow is read "
                        + "before the run", at: namespaceLike.location)
            }
            guard let base, let namespace, let flowId else { return nil }
            return .subflow(
                SubflowTask(common: base, namespace: namespace, flowId: flowId, revision: revision, inputs: inputs))
        default:
            return nil
        }
    }
}
