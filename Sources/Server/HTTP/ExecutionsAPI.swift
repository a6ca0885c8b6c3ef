import Engine
import Flows
import Foundation
import Hummingbird
import Ledger

/// The part of Kestra's executions API that changes something, on the server's `ExecutionHost`: create an
/// execution of a library flow (inputs as a form, `labels=key:value`, `wait=true` for the final answer), kill,
/// restart (a new execution from the failed task, taking the outcomes before it) and replay from a task run (a
/// fork). Each records who asked. Every answer is the Kestra `Execution`.
public struct ExecutionsAPI: APIRoutes {
    let host: ExecutionHost
    let library: FlowLibrary
    let history: HistoryAPI
    /// The flows executions start from, parsed once per revision and shared by all of its executions.
    let loadedFlows = LoadedFlows()

    public init(host: ExecutionHost, library: FlowLibrary, history: HistoryAPI) {
        self.host = host
        self.library = library
        self.history = history
    }

    public static let operations = [
        APIOperation("POST", "/executions/{namespace}/{id}"),
        APIOperation("DELETE", "/executions/{executionId}/kill"),
        APIOperation("DELETE", "/executions/{executionId}/actions/kill"),
        APIOperation("POST", "/executions/{executionId}/restart"),
        APIOperation("POST", "/executions/{executionId}/actions/restart"),
        APIOperation("POST", "/executions/{executionId}/replay"),
        APIOperation("POST", "/executions/{executionId}/actions/replay"),
        APIOperation("POST", "/executions/{executionId}/replay-with-inputs"),
        APIOperation("POST", "/executions/{executionId}/actions/replay-with-inputs"),
    ]

    /// The longest label key and value accepted.
    static let maximumLabelKey = ExecutionLabels.maximumKey
    static let maximumLabelValue = ExecutionLabels.maximumValue

    public func respond(to call: APICall) async throws -> Response? {
        let route = call.route
        guard route.first == "executions" else { return nil }
        // POST executions/{namespace}/{id} creates; POST executions/{executionId}/restart (or replay) acts on an
        // execution: an action's name after an execution that exists is the action.
        let action =
            route.count == 3 && ["restart", "replay", "replay-with-inputs", "kill"].contains(route[2])
            && ExecutionID.isValid(route[1]) && (try? host.engine.state(of: route[1], access: .readOnly)) != nil
        switch (call.method, route.count) {
        case ("POST", 3) where route[1] != "search" && !action:
            return try await create(namespace: route[1], flowId: route[2], call)
        case ("DELETE", 3) where route[2] == "kill", ("DELETE", 4) where route[2] == "actions" && route[3] == "kill":
            return try await kill(route[1], call)
        case ("POST", 3) where route[2] == "restart", ("POST", 4) where route[2] == "actions" && route[3] == "restart":
            return try await restart(route[1], call)
        case ("POST", 3) where route[2] == "replay", ("POST", 4) where route[2] == "actions" && route[3] == "replay":
            return try await replay(route[1], call, withInputs: false)
        case ("POST", 3) where route[2] == "replay-with-inputs",
            ("POST", 4) where route[2] == "actions" && route[3] == "replay-with-inputs":
            return try await replay(route[1], call, withInputs: true)
        default:
            return nil
        }
    }

    /// `POST executions/{namespace}/{id}`: runs the flow's latest revision (or `revision`).
    func create(namespace: String, flowId: String, _ call: APICall) async throws -> Response {
        let revision = try Self.revision(call.request["revision"])
        // SQLite reads block: off the cooperative threads that drive the executions.
        let stored = try await BlockingWork.run { [library] in
            if let revision { return try library.revision(namespace: namespace, id: flowId, revision) }
            return try library.latest(namespace: namespace, id: flowId)
        }
        guard let stored else {
            let which = revision.map { " revision \($0)" } ?? ""
            throw APIError.notFound(
                "flow \(MessageQuote.quoted(namespace + "." + flowId))\(which) does not exist: create it with POST /api/v1/main/flows"
            )
        }
        let (inputs, files) = try Self.inputs(try FormData(body: call.body, contentType: call.headers[.contentType]))
        let labels = try Self.labels(call.request.query["labels"] ?? [])
        let wait = try Self.flag(call.request["wait"], name: "wait")
        let flow: LoadedFlow
        do {
            flow = try loadedFlows.flow(stored)
        } catch {
            throw Self.refusal(error)
        }
        var request = StartRequest(
            flow: flow, inputs: inputs, secrets: host.secrets, backend: host.backend,
            outputDirectory: host.outputDirectory, requestedBy: call.requester, labels: labels,
            flowRevision: stored.revision)
        // The server resumed the interrupted ones when it started; the others run here or in another process.
        request.reportsInterruptedExecutions = false
        request.files = files
        let id = try await launch(.start(request))
        if wait { await host.waitForEnd(of: id) }
        return try .kestra(try await BlockingWork.run { [history] in try history.execution(id) })
    }

    /// A form's input values and files, each input given once, each file name one plain path segment.
    static func inputs(_ form: FormData) throws -> (values: [String: String], files: [String: InputFileSource]) {
        var inputs: [String: String] = [:]
        var files: [String: InputFileSource] = [:]
        for field in form.fields {
            if let fileName = field.fileName {
                // The name becomes a segment of an object name and a URI: one plain segment only.
                if let problem = InputFileSource.filenameProblem(fileName) {
                    throw APIError(
                        status: 422,
                        "input \(MessageQuote.quoted(field.name)): file name \(MessageQuote.quoted(fileName)) is refused: "
                            + problem)
                }
                guard files[field.name] == nil, inputs[field.name] == nil else {
                    throw APIError(status: 422, "input \(MessageQuote.quoted(field.name)) is given twice")
                }
                files[field.name] = InputFileSource(filename: fileName, content: .data(Data(field.value)))
                continue
            }
            guard files[field.name] == nil else {
                throw APIError(status: 422, "input \(MessageQuote.quoted(field.name)) is given twice")
            }
            guard let text = field.text else {
                throw APIError(status: 422, "input \(MessageQuote.quoted(field.name)) is not UTF-8 text")
            }
            guard inputs.updateValue(text, forKey: field.name) == nil else {
                throw APIError(status: 422, "input \(MessageQuote.quoted(field.name)) is given twice")
            }
        }
        return (inputs, files)
    }

    /// Kills an execution, whichever process drives it (this server, a run, a recover, another server; or none),
    /// and answers it as it ended (KILLED).
    func kill(_ id: String, _ call: APICall) async throws -> Response {
        let state = try recorded(id)
        if state.isTerminal { throw Self.alreadyEnded(id, state) }
        let outcome: KillOutcome
        do {
            outcome = try await host.kill(id, by: call.requester)
        } catch {
            throw Self.refusal(error)
        }
        switch outcome {
        case .alreadyEnded(let ended):
            throw Self.alreadyEnded(id, ended)
        case .stillRunning(let holder):
            throw APIError(
                status: 409,
                "execution \(MessageQuote.quoted(id)) did not end in time: the process that drives it "
                    + "(\(holder.map(\.description) ?? "unknown")) has the kill request and ends it when it next checks"
            )
        case .ended:
            return try .kestra(try history.execution(id))
        }
    }

    private static func alreadyEnded(_ id: String, _ state: ExecutionState) -> APIError {
        APIError(
            status: 409, "execution \(MessageQuote.quoted(id)) already ended \(Kestra.StateType(state.state).rawValue)")
    }

    /// Restarts a FAILED or KILLED execution: a new execution of the same flow revision and inputs that takes the
    /// outcomes of the top-level tasks before the first one that failed, and runs that task and what follows.
    func restart(_ id: String, _ call: APICall) async throws -> Response {
        let state = try recorded(id)
        guard state.state == .failed || state.state == .cancelled || state.state == .killed else {
            throw APIError(
                status: 409,
                "execution \(MessageQuote.quoted(id)) is \(Kestra.StateType(state.state).rawValue): only a FAILED or "
                    + "KILLED execution can be restarted (replay it from a task instead)")
        }
        let flow = try Self.flow(of: state)
        let failed = state.taskRuns.first { ($0.state == .failed && !$0.allowedFailure) || $0.state == .cancelled }
        let from = failed.flatMap { Self.topLevelTask(of: $0.taskId, in: flow) } ?? flow.tasks.first?.id.value
        guard let from else { throw APIError(status: 409, "execution \(MessageQuote.quoted(id))'s flow has no task") }
        return try await fork(id, from: from, call)
    }

    /// Replays an ended execution from the task run `taskRunId` (its task and what follows it; inside a ForEach,
    /// only its iteration), else from its first task; with `revision`, that revision of the flow; with inputs
    /// (`replay-with-inputs`), those values instead of the execution's.
    func replay(_ id: String, _ call: APICall, withInputs: Bool) async throws -> Response {
        let state = try recorded(id)
        guard state.isTerminal else {
            throw APIError(
                status: 409, "execution \(MessageQuote.quoted(id)) is still running: replay it once it has ended")
        }
        let flow = try Self.flow(of: state)
        let from: String
        if let taskRunId = call.request["taskRunId"] {
            guard let run = state.taskRuns.first(where: { $0.taskRunId == taskRunId }) else {
                throw APIError.notFound(
                    "execution \(MessageQuote.quoted(id)) has no task run \(MessageQuote.quoted(taskRunId))")
            }
            from = run.value.map { "\(run.taskId)[\($0)]" } ?? run.taskId
        } else {
            guard let first = flow.tasks.first?.id.value else {
                throw APIError(status: 409, "execution \(MessageQuote.quoted(id))'s flow has no task")
            }
            from = first
        }
        var request = ForkRequest(parent: id, fromTask: from, secrets: host.secrets, requestedBy: call.requester)
        if let revision = try Self.revision(call.request["revision"]) {
            guard let stored = try library.revision(namespace: flow.namespace.value, id: flow.id.value, revision) else {
                throw APIError.notFound(
                    "flow \(MessageQuote.quoted(flow.namespace.value + "." + flow.id.value)) has no revision \(revision)"
                )
            }
            do {
                request.flow = try loadedFlows.flow(stored)
            } catch {
                throw Self.refusal(error)
            }
            request.flowRevision = stored.revision
        }
        if withInputs {
            (request.inputs, request.files) = try Self.inputs(
                try FormData(body: call.body, contentType: call.headers[.contentType]))
        }
        let child = try await launch(.fork(request))
        return try .kestra(try history.execution(child))
    }

    private func fork(_ parent: String, from task: String, _ call: APICall) async throws -> Response {
        let request = ForkRequest(parent: parent, fromTask: task, secrets: host.secrets, requestedBy: call.requester)
        let id = try await launch(.fork(request))
        return try .kestra(try history.execution(id))
    }

    private func launch(_ launch: ExecutionHost.Launch) async throws -> String {
        do {
            return try await host.launch(launch)
        } catch {
            throw Self.refusal(error)
        }
    }

    private func recorded(_ id: String) throws -> ExecutionState {
        guard ExecutionID.isValid(id) else { throw APIError.notFound("no execution \(MessageQuote.quoted(id))") }
        do {
            return try host.engine.state(of: id, access: .readOnly)
        } catch {
            throw Self.refusal(error)
        }
    }

    /// The flow an execution ran, as it recorded it.
    static func flow(of state: ExecutionState) throws -> Flows.Flow {
        guard let started = state.started else {
            throw APIError(status: 409, "execution \(MessageQuote.quoted(state.executionId)) never started")
        }
        do {
            return try LoadedFlow(FlowSource(path: started.flowPath, text: started.flowSource)).flow
        } catch {
            throw Self.refusal(error)
        }
    }

    /// The top-level task that holds task `taskId` (itself, or a Parallel or ForEach around it).
    static func topLevelTask(of taskId: String, in flow: Flows.Flow) -> String? {
        func holds(_ task: FlowTask) -> Bool {
            task.id.value == taskId || task.childTasks.contains(where: holds)
        }
        return flow.tasks.first(where: holds)?.id.value
    }

    /// `key:value` labels, each checked.
    static func labels(_ values: [String]) throws -> [String: String] {
        var labels: [String: String] = [:]
        for text in values {
            guard let colon = text.firstIndex(of: ":") else {
                throw APIError.badRequest("label \(MessageQuote.quoted(text)) is not key:value")
            }
            let key = String(text[..<colon])
            let value = String(text[text.index(after: colon)...])
            if let problem = ExecutionLabels.problem(key: key, value: value) {
                throw APIError.badRequest("label \(MessageQuote.quoted(text)): \(problem)")
            }
            labels[key] = value
        }
        return labels
    }

    static func flag(_ text: String?, name: String) throws -> Bool {
        switch text {
        case nil, "false": return false
        case "true", "": return true
        case let other?:
            throw APIError.badRequest("\(name) must be true or false, not \(MessageQuote.quoted(other))")
        }
    }

    static func revision(_ text: String?) throws -> Int? {
        guard let text else { return nil }
        guard let number = Int(text), number >= 1 else {
            throw APIError.badRequest("revision must be a whole number from 1, not \(MessageQuote.quoted(text))")
        }
        return number
    }

    /// The API's answer to an engine refusal: the caller's mistakes are 4xx, with every problem named.
    static func refusal(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        switch EngineFailure(error) {
        case .invalidFlow(let diagnostics):
            return APIError(status: 422, diagnostics.map(\.description).joined(separator: "\n"))
        case .invalidRequest(let problems): return APIError(status: 422, problems.joined(separator: "\n"))
        case .template(let problem): return APIError(status: 422, "\(problem)")
        case .secret(let problem): return APIError(status: 422, "\(problem)")
        case .noSuchExecution(let id, _): return .notFound("no execution \(MessageQuote.quoted(id))")
        case .importedExecution(let id, _):
            return APIError(status: 409, "execution \(MessageQuote.quoted(id)) was imported: it cannot be driven here")
        case .noGoogleCredentials:
            return APIError(status: 503, "the server has no Google credentials: \(EngineFailure.noGoogleCredentials)")
        case .noLedger, .ledgerUnavailable, .ledger:
            return APIError(status: 503, "the ledger is not available: \(EngineFailure(error))")
        case .google(let problem): return APIError(status: 502, "a Google API refused: \(problem)")
        case .failed(let problem): return APIError(status: 500, "\(problem)")
        }
    }
}

/// Parsed and checked flow revisions by namespace, id and revision (a revision never changes): a thousand
/// executions of one flow share one parsed flow instead of holding a thousand copies of its tree.
final class LoadedFlows: @unchecked Sendable {
    private let lock = NSLock()
    private var flows: [String: LoadedFlow] = [:]
    private var order: [String] = []
    static let maximumEntries = 64

    func flow(_ revision: FlowRevision) throws -> LoadedFlow {
        let key = "\(revision.namespace)/\(revision.flowId)@\(revision.revision)"
        if let known = lock.withLock({ flows[key] }) { return known }
        let loaded = try LoadedFlow(
            FlowSource(
                path: "\(revision.namespace).\(revision.flowId)@\(revision.revision).yaml", text: revision.source))
        lock.withLock {
            if flows.updateValue(loaded, forKey: key) == nil { order.append(key) }
            while order.count > Self.maximumEntries { flows[order.removeFirst()] = nil }
        }
        return loaded
    }
}
