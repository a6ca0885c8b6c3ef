import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore

/// `batchledger serve`'s web UI under `/ui/`: the execution list (rendered on the server, refreshed by its script
/// from Kestra's search API), an execution's Gantt chart, history, logs and outputs, the flows with their source and
/// a run form, and the audit query. Plain HTML, CSS and scripts, all inside the binary (`UIAssets`).
///
/// With a token file, a browser signs in once with a token and gets a session cookie; the pages' scripts call the
/// API with that cookie and send the session's CSRF token with every request that changes something. Without one
/// (loopback only), the pages carry a CSRF token of the process instead, so another site's form cannot post to the
/// server. Every value from the ledger is escaped (`HTML`), and the Content-Security-Policy runs no inline script.
public struct WebUI: PageRoutes {
    public let store: EventStore
    let history: HistoryAPI
    let tokens: APITokens?
    let sessions: UISessions
    /// The CSRF token of pages served without a token file, and of the sign-in form.
    let processToken: String
    let now: @Sendable () -> Date

    public init(
        store: EventStore, tokens: APITokens?, sessions: UISessions = UISessions(),
        now: @escaping @Sendable () -> Date = { Date() }, history: HistoryAPI? = nil
    ) {
        self.store = store
        // The API's own reads when the server gives them: one fold of the summaries, one cache of records.
        self.history = history ?? HistoryAPI(store: store, now: { Timestamp(now()) })
        self.tokens = tokens
        self.sessions = sessions
        self.processToken = UISessions.randomToken()
        self.now = now
    }

    public func respond(to request: Request, parsed: APIRequest, context: BasicRequestContext) async throws
        -> Response
    {
        let segments = parsed.segments
        guard segments.first == "ui" else {
            if segments.isEmpty { return UIResponse.redirect("/ui/") }
            return UIResponse.page(
                Layout(csrfToken: "", caller: nil).problem(
                    title: "Not found", message: "There is no page at \(parsed.path)."), status: .notFound)
        }
        let route = Array(segments.dropFirst())
        let reads = request.method == .get || request.method == .head
        if route.count == 2, route[0] == "assets", reads {
            guard let asset = UIAssets.named(route[1]) else {
                return UIResponse.page("<p>No such asset.</p>", status: .notFound)
            }
            return UIResponse.asset(asset, ifNoneMatch: request.headers[.ifNoneMatch])
        }
        if tokens == nil, !UIAccess.isLoopbackHost(request) {
            return UIResponse.page(
                Layout(csrfToken: "", caller: nil).problem(title: "Refused", message: UIAccess.foreignHost.message),
                status: .forbidden)
        }
        if route == ["sign-in"] { return try await signIn(request, parsed) }

        var session: UISessions.Session?
        if tokens != nil {
            session = await sessions.session(UIAccess.sessionId(request))
            if session == nil {
                guard reads else { return UIResponse.error(.unauthorized, path: parsed.path) }
                let next = parsed.path + (request.uri.query.map { "?" + $0 } ?? "")
                return UIResponse.redirect("/ui/sign-in?next=" + UIFormat.query(next))
            }
        }
        let layout = Layout(csrfToken: session?.csrfToken ?? processToken, caller: session?.caller)
        if route == ["sign-out"], request.method == .post, let session {
            return try await signOut(request, session, layout)
        }
        guard reads else {
            return UIResponse.error(APIError(status: 405, "\(parsed.method) is not allowed here"), path: parsed.path)
        }
        do {
            // Pages read the ledger (SQLite blocks): off the cooperative threads that drive the executions.
            return try await BlockingWork.run { [self] in try page(route, parsed, layout) }
        } catch let error as LedgerError {
            return UIResponse.page(
                layout.problem(title: "Ledger unavailable", message: "The ledger could not be read: \(error)"),
                status: .serviceUnavailable)
        } catch {
            return UIResponse.page(
                layout.problem(title: "Failed", message: "The page could not be made: \(error)"),
                status: .internalServerError)
        }
    }

    /// The pages and the UI's own JSON, for a request allowed to see them.
    private func page(_ route: [String], _ parsed: APIRequest, _ layout: Layout) throws -> Response {
        switch route {
        case []:
            return try executionList(parsed, layout)
        case let path where path.count == 2 && path[0] == "executions":
            do {
                let execution = try history.execution(path[1])
                return UIResponse.page(
                    layout.page(
                        title: "Execution \(execution.id)", section: .executions,
                        body: ExecutionPage(execution: execution, now: now()).body(), scripts: ["execution.js"]))
            } catch let error as APIError {
                return UIResponse.page(
                    layout.problem(title: "No such execution", message: error.message),
                    status: HTTPResponse.Status(code: error.status))
            }
        case let path where path.count == 3 && path[0] == "executions" && path[2] == "timeline.json":
            return try json(parsed) {
                let at = try parsed["at"].map { text -> Int64 in
                    guard let seq = Int64(text), seq >= 0 else {
                        throw APIError.badRequest("at must be an event's seq, not \(MessageQuote.quoted(text))")
                    }
                    return seq
                }
                let timeline = try ExecutionTimeline.read(
                    path[1], from: store, at: at, index: parsed["index"] == "true", now: now())
                return try Kestra.encoder().encode(timeline)
            }
        case let path where path.count == 3 && path[0] == "executions" && path[2] == "events.json":
            return try json(parsed) {
                let after = Int64(try HistoryAPI.number(parsed["after"], name: "after", default: 0, range: 0...Int.max))
                let size = try HistoryAPI.number(
                    parsed["size"], name: "size", default: 100, range: 1...EventPage.maximumSize)
                return try EventPage.read(path[1], from: store, after: after, size: size)
            }
        case ["flows"]:
            return UIResponse.page(
                layout.page(title: "Flows", section: .flows, body: FlowPages.list(), scripts: ["flows.js"]))
        case let path where path.count == 3 && path[0] == "flows":
            return UIResponse.page(
                layout.page(
                    title: "Flow \(path[1])/\(path[2])", section: .flows,
                    body: FlowPages.flow(namespace: path[1], id: path[2]), scripts: ["flows.js"]))
        case ["audit"]:
            return UIResponse.page(
                layout.page(title: "Audit", section: .audit, body: AuditPage.body(parsed), scripts: ["audit.js"]))
        default:
            return UIResponse.page(
                layout.problem(title: "Not found", message: "There is no page at \(parsed.path)."), status: .notFound)
        }
    }

    /// `/ui/`: the first page of the list already holds its rows.
    private func executionList(_ parsed: APIRequest, _ layout: Layout) throws -> Response {
        var query = ExecutionListQuery()
        var problem: String?
        var results = Kestra.PagedResults<Kestra.Execution>(results: [], total: 0)
        do {
            query = try ExecutionListQuery(parsed)
            results = try query.results(history)
        } catch let error as APIError {
            problem = error.message
        }
        let flows = Set(
            try history.summaries.states(in: store).values.map { $0.namespace + "/" + $0.flowId })
        let list = ExecutionListPage(
            query: query, results: results, flows: flows.sorted(), problem: problem, now: now())
        return UIResponse.page(
            layout.page(title: "Executions", section: .executions, body: list.body(), scripts: ["list.js"]),
            status: problem == nil ? .ok : .badRequest)
    }

    private func json(_ parsed: APIRequest, _ body: () throws -> Data) throws -> Response {
        do {
            return UIResponse.json(try body())
        } catch let error as APIError {
            return UIResponse.error(error, path: parsed.path)
        }
    }
}
