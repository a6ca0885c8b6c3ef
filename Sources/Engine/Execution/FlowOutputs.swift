import Flows
import Foundation
import Templates

/// A flow's outputs (Kestra 0.15 and later), rendered once its tasks, `errors` and `finally` have ended, each
/// converted to its declared type.
struct FlowOutputs {
    let context: ExecutionContext

    /// Output id → typed value. Throws `FlowProblems` (placed at the output's value) when a value does not render
    /// or is not of its type.
    func render(state: ExecutionState) async throws -> [String: EventValue] {
        let flow = context.flow
        var variables = context.variables(
            taskID: "outputs", type: "outputs", scope: ExecutionContext.Scope(), attempt: 0, state: state
        ).variables
        variables["task"] = nil
        variables["taskrun"] = nil
        let templateContext = TemplateContext(variables: variables, secrets: context.configuration.secrets)
        var result: [String: EventValue] = [:]
        for output in flow.outputs {
            let rendered = try TemplateEngine.render(
                output.value.value, origin: Convert.origin(output.value, in: context.text), context: templateContext)
            await context.recorder.addSecrets(rendered.masker)
            guard let value = Self.typed(rendered.text, output.type.value) else {
                throw FlowProblems([
                    "\(output.value.location): output '\(output.id.value)' rendered to '\(rendered.text)', which is "
                        + "not a valid \(output.type.value.rawValue)"
                ])
            }
            result[output.id.value] = value
        }
        return result
    }

    /// The rendered text as a value of `kind`; nil when it is not one.
    static func typed(_ text: String, _ kind: FlowOutput.Kind) -> EventValue? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch kind {
        case .string: return .string(text)
        case .int: return Int64(trimmed).map { .number(EventNumber($0)) }
        case .float: return Double(trimmed).flatMap { EventNumber($0) }.map { .number($0) }
        case .boolean:
            switch trimmed.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return nil
            }
        case .json: return try? Convert.json(TemplateValue.parseJSON(trimmed))
        }
    }

    /// Kestra's name of a state, as `execution.state` gives it to templates.
    static func kestraName(_ state: RunState) -> String {
        switch state {
        case .succeeded: return "SUCCESS"
        case .cancelled, .killed: return "KILLED"
        default: return state.rawValue
        }
    }
}
