import Engine
import Flows

extension Kestra.Task {
    /// A parsed task: id, type, and the properties the flow file wrote (plugin defaults applied), nested tasks
    /// included.
    public init(_ task: FlowTask) {
        let common = task.common
        var properties = EventObject()
        if let description = common.description { properties["description"] = .string(description.value) }
        if let timeout = common.timeout { properties["timeout"] = .string(Self.text(timeout.value)) }
        if !common.allowFailure.isDefault { properties["allowFailure"] = .bool(common.allowFailure.value) }
        if !common.disabled.isDefault { properties["disabled"] = .bool(common.disabled.value) }
        switch task {
        case .script(let script):
            if let image = script.containerImage { properties["containerImage"] = .string(image.value) }
            if !script.beforeCommands.isEmpty {
                properties["beforeCommands"] = .array(script.beforeCommands.map { .string($0.value) })
            }
            if !script.commands.isEmpty { properties["commands"] = .array(script.commands.map { .string($0.value) }) }
            if let text = script.script { properties["script"] = .string(text.value) }
            if !script.env.isEmpty {
                properties["env"] = .object(EventObject(script.env.map { ($0.name.value, .string($0.value.value)) }))
            }
            if !script.outputFiles.isEmpty {
                properties["outputFiles"] = .array(script.outputFiles.map { .string($0.value) })
            }
            if let runner = script.taskRunner {
                properties["taskRunner"] = .object(["type": .string(runner.type.value)])
            }
        case .forEach(let forEach):
            switch forEach.values {
            case .list(let items): properties["values"] = .array(items.map(\.eventValue))
            case .json(let text, _): properties["values"] = .string(text.value)
            case .template(let text): properties["values"] = .string(text.value)
            }
            properties["concurrencyLimit"] = .number(EventNumber(Int64(forEach.concurrencyLimit.value)))
            properties["tasks"] = .array(forEach.tasks.map { Kestra.Task($0).jsonValue })
        case .parallel(let parallel):
            properties["concurrent"] = .number(EventNumber(Int64(parallel.concurrent.value)))
            properties["tasks"] = .array(parallel.tasks.map { Kestra.Task($0).jsonValue })
        case .log(let log):
            properties["message"] =
                log.messages.count == 1
                ? .string(log.messages[0].value) : .array(log.messages.map { .string($0.value) })
            if !log.level.isDefault { properties["level"] = .string(log.level.value.rawValue) }
        case .returnValue(let returnTask):
            if let format = returnTask.format { properties["format"] = .string(format.value) }
        case .outputValues(let outputValues):
            properties["values"] = outputValues.values.eventValue
        case .ifTask(let ifTask):
            properties["condition"] = .string(ifTask.condition.value)
            properties["then"] = Self.list(ifTask.then)
            if !ifTask.otherwise.isEmpty { properties["else"] = Self.list(ifTask.otherwise) }
        case .switchTask(let switchTask):
            properties["value"] = .string(switchTask.value.value)
            properties["cases"] = .object(EventObject(switchTask.cases.map { ($0.key.value, Self.list($0.tasks)) }))
            if !switchTask.defaults.isEmpty { properties["defaults"] = Self.list(switchTask.defaults) }
        case .sequential(let sequential):
            properties["tasks"] = Self.list(sequential.tasks)
        case .pause(let pause):
            properties["delay"] = .string(Self.text(pause.delay.value))
        case .subflow(let subflow):
            properties["namespace"] = .string(subflow.namespace.value)
            properties["flowId"] = .string(subflow.flowId.value)
            if !subflow.inputs.isEmpty {
                properties["inputs"] = .object(EventObject(subflow.inputs.map { ($0.key.value, $0.value.eventValue) }))
            }
        }
        self.init(id: task.id.value, type: task.type.value, properties: properties)
    }

    /// The task as one JSON object (for nesting in a flowable task's `tasks`).
    var jsonValue: EventValue {
        var object: EventObject = ["id": .string(id), "type": .string(type)]
        for (key, value) in properties { object[key] = value }
        return .object(object)
    }

    private static func list(_ tasks: [FlowTask]) -> EventValue {
        .array(tasks.map { Kestra.Task($0).jsonValue })
    }

    private static func text(_ value: Dynamic<ISODuration>) -> String {
        switch value {
        case .value(let duration): return duration.description
        case .template(let text): return text
        }
    }
}
