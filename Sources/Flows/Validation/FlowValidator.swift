/// Rules over the whole flow, checked once the model is built: unique task ids (nested tasks included),
/// unique input ids, and Kestra's label rules.
struct FlowValidator {
    let context: ParseContext

    func validate(_ flow: Flow) {
        var taskIDs: [String: SourceLocation] = [:]
        for task in flow.allTasks {
            let id = task.id
            if let first = taskIDs[id.value] {
                context.error(
                    "Duplicate task id with name [\(id.value)] (first defined at \(first.lineAndColumn)): task ids "
                        + "must be unique in the flow, nested tasks included", at: id.location)
            } else {
                taskIDs[id.value] = id.location
            }
        }

        var inputIDs: [String: SourceLocation] = [:]
        for input in flow.inputs {
            if let first = inputIDs[input.id.value] {
                context.error(
                    "Duplicate input with name [\(input.id.value)] (first defined at \(first.lineAndColumn))",
                    at: input.id.location)
            } else {
                inputIDs[input.id.value] = input.id.location
            }
        }

        var outputIDs: [String: SourceLocation] = [:]
        for output in flow.outputs {
            if let first = outputIDs[output.id.value] {
                context.error(
                    "Duplicate output with name [\(output.id.value)] (first defined at \(first.lineAndColumn))",
                    at: output.id.location)
            } else {
                outputIDs[output.id.value] = output.id.location
            }
        }

        var labelKeys: [String: SourceLocation] = [:]
        for label in flow.labels {
            if label.key.value.hasPrefix("system.") {
                context.error(
                    "label key '\(label.key.value)' is reserved: keys starting with 'system.' are set by Kestra",
                    at: label.key.location)
            }
            if label.key.value.isEmpty {
                context.error("label keys must not be empty", at: label.key.location)
            }
            if let first = labelKeys[label.key.value] {
                context.error(
                    "duplicate label '\(label.key.value)' (first defined at \(first.lineAndColumn))",
                    at: label.key.location)
            } else {
                labelKeys[label.key.value] = label.key.location
            }
        }
    }
}
