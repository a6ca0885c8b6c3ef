import Engine
import Flows
import Foundation
import Hummingbird
import Ledger
import Primitives

/// Kestra's flows API over the ledger's `FlowLibrary`: create (a YAML body), update (a new revision), get, search,
/// list a namespace, revisions, delete, and validate (the diagnostics `batchledger validate` prints, each at its
/// line and column). Saving and deleting record who asked.
public struct FlowsAPI: APIRoutes {
    let library: FlowLibrary

    public init(library: FlowLibrary) {
        self.library = library
    }

    public static let operations = [
        APIOperation("POST", "/flows"), APIOperation("POST", "/flows/validate"), APIOperation("GET", "/flows/search"),
        APIOperation("GET", "/flows/{namespace}"), APIOperation("GET", "/flows/{namespace}/{id}"),
        APIOperation("PUT", "/flows/{namespace}/{id}"), APIOperation("DELETE", "/flows/{namespace}/{id}"),
        APIOperation("GET", "/flows/{namespace}/{id}/revisions"),
    ]

    /// The name diagnostics give a flow sent in a request body.
    static let bodyName = "flow.yaml"

    public func respond(to call: APICall) async throws -> Response? {
        guard call.route.first == "flows" else { return nil }
        // The library reads and writes SQLite, which blocks: off the cooperative threads.
        return try await BlockingWork.run { try answer(call) }
    }

    func answer(_ call: APICall) throws -> Response? {
        let route = call.route
        switch (call.method, Array(route.dropFirst())) {
        case ("POST", []):
            let source = try Self.yaml(call)
            return try .kestra(try flow(try save(source, mode: .create, call), withSource: true))
        case ("POST", ["validate"]):
            return try .kestra(Self.validate(try Self.yaml(call)))
        case ("GET", ["search"]):
            return try .kestra(try search(call.request))
        case ("GET", let path) where path.count == 1:
            return try .kestra(
                try library.catalog().filter { $0.namespace == path[0] && !$0.deleted }.compactMap { entry in
                    try library.latest(namespace: entry.namespace, id: entry.flowId).map {
                        try flow($0, withSource: false)
                    }
                })
        case ("GET", let path) where path.count == 2:
            return try .kestra(try get(namespace: path[0], id: path[1], call.request))
        case ("PUT", let path) where path.count == 2:
            let source = try Self.yaml(call)
            let saved = try save(source, mode: .update(namespace: path[0], id: path[1]), call)
            return try .kestra(try flow(saved, withSource: true))
        case ("DELETE", let path) where path.count == 2:
            do {
                try library.delete(namespace: path[0], id: path[1], requestedBy: call.requester)
            } catch let refusal as FlowLibrary.Refusal {
                throw Self.apiError(refusal)
            }
            return Response(status: .noContent)
        case ("GET", let path) where path.count == 3 && path[2] == "revisions":
            let revisions = try library.revisions(namespace: path[0], id: path[1])
            guard !revisions.isEmpty else { throw Self.notFound(path[0], path[1]) }
            return try .kestra(try revisions.map { try flow($0, withSource: true) })
        default:
            return nil
        }
    }

    private func save(_ source: String, mode: FlowLibrary.SaveMode, _ call: APICall) throws -> FlowRevision {
        do {
            return try library.save(source, path: Self.bodyName, mode: mode, requestedBy: call.requester)
        } catch let refusal as FlowLibrary.Refusal {
            throw Self.apiError(refusal)
        }
    }

    /// `GET flows/{namespace}/{id}`: the latest revision (or `revision`), with its YAML when `source=true`.
    func get(namespace: String, id: String, _ request: APIRequest) throws -> Kestra.Flow {
        let withSource = try ExecutionsAPI.flag(request["source"], name: "source")
        let allowDeleted = try ExecutionsAPI.flag(request["allowDeleted"], name: "allowDeleted")
        let found: FlowRevision?
        if let number = try ExecutionsAPI.revision(request["revision"]) {
            found = try library.revision(namespace: namespace, id: id, number)
        } else {
            found = try library.latest(namespace: namespace, id: id, allowDeleted: allowDeleted)
        }
        guard let found else { throw Self.notFound(namespace, id) }
        var answer = try flow(found, withSource: withSource)
        if allowDeleted, let entry = try library.latest(namespace: namespace, id: id, allowDeleted: true),
            entry.revision == found.revision
        {
            answer.deleted = try library.latest(namespace: namespace, id: id) == nil
        }
        return answer
    }

    /// `GET flows/search`: the library's flows by namespace then id, 1-based pages; filters namespace (EQUALS,
    /// PREFIX/STARTS_WITH), id (EQUALS, CONTAINS) and `q` (in the id or namespace).
    func search(_ request: APIRequest) throws -> Kestra.PagedResults<Kestra.Flow> {
        let page = try HistoryAPI.number(request["page"], name: "page", default: 1, range: 1...1_000_000)
        let size = try HistoryAPI.number(
            request["size"], name: "size", default: 25, range: 1...HistoryAPI.maximumPageSize)
        var conditions: [(FlowCatalogProjection.State) -> Bool] = []
        if let namespace = request["namespace"] {
            conditions.append { $0.namespace == namespace || $0.namespace.hasPrefix(namespace + ".") }
        }
        if let q = request["q"] {
            conditions.append { $0.flowId.localizedCaseInsensitiveContains(q) || $0.namespace.contains(q) }
        }
        for (key, values) in request.query where key.hasPrefix("filters[") {
            guard let value = values.first else { continue }
            switch key {
            case "filters[namespace][EQUALS]": conditions.append { $0.namespace == value }
            case "filters[namespace][PREFIX]", "filters[namespace][STARTS_WITH]":
                conditions.append { $0.namespace == value || $0.namespace.hasPrefix(value + ".") }
            case "filters[id][EQUALS]", "filters[flowId][EQUALS]": conditions.append { $0.flowId == value }
            case "filters[id][CONTAINS]", "filters[flowId][CONTAINS]", "filters[q][EQUALS]":
                conditions.append { $0.flowId.localizedCaseInsensitiveContains(value) }
            default:
                throw APIError.badRequest(
                    "filter \(MessageQuote.quoted(key)) is not supported: use namespace, id or q")
            }
        }
        let matching = try library.catalog().filter { entry in !entry.deleted && conditions.allSatisfy { $0(entry) } }
        let first = (page - 1) * size
        let onPage = first < matching.count ? Array(matching[first..<min(first + size, matching.count)]) : []
        let results = try onPage.compactMap { entry in
            try library.latest(namespace: entry.namespace, id: entry.flowId).map { try flow($0, withSource: false) }
        }
        return Kestra.PagedResults(results: results, total: matching.count)
    }

    /// A stored revision as Kestra shows it (parsed again from its YAML: it was valid when it was saved).
    func flow(_ revision: FlowRevision, withSource: Bool) throws -> Kestra.Flow {
        let parsed = FlowParser.parse(source: revision.source, file: Self.bodyName)
        guard let flow = parsed.flow else {
            throw APIError(
                status: 500,
                "revision \(revision.revision) of flow \(revision.namespace).\(revision.flowId) no longer parses")
        }
        return Kestra.Flow(
            flow, source: withSource ? revision.source : nil, revision: revision.revision,
            updated: Timestamp.parse(revision.savedAt).map { Timestamp($0) })
    }

    /// One result per `---` document, with lines and columns counted in the whole body: the checks of
    /// `batchledger validate` (`FlowCheck`), templates and runner properties included.
    static func validate(_ source: String) -> [Kestra.ValidateConstraintViolation] {
        documents(source).enumerated().map { index, document in
            Kestra.ValidateConstraintViolation(
                index: index, result: FlowCheck.result(source: document, file: bodyName))
        }
    }

    /// The body's YAML documents, each padded with the blank lines before it so that its diagnostics name the
    /// lines of the whole body.
    static func documents(_ source: String) -> [String] {
        let lines = source.components(separatedBy: "\n")
        var documents: [String] = []
        var start = 0
        for (index, line) in lines.enumerated()
        where line.trimmingCharacters(in: CharacterSet(charactersIn: " \t\r")) == "---" {
            if lines[start..<index].contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                documents.append(
                    String(repeating: "\n", count: start) + lines[start..<index].joined(separator: "\n"))
            }
            start = index + 1
        }
        documents.append(String(repeating: "\n", count: start) + lines[start...].joined(separator: "\n"))
        return documents
    }

    /// The body as YAML text: `application/x-yaml` (or another YAML or text type), UTF-8.
    static func yaml(_ call: APICall) throws -> String {
        let type = FormData.parameters(call.headers[.contentType] ?? "").type
        guard ["application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml", "text/plain", ""].contains(type)
        else {
            throw APIError(
                status: 415,
                "Content-Type \(MessageQuote.quoted(type)) is not YAML: send the flow as application/x-yaml")
        }
        let text = try call.bodyText()
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("the body is empty: send the flow's YAML")
        }
        return text
    }

    static func notFound(_ namespace: String, _ id: String) -> APIError {
        .notFound("flow \(MessageQuote.quoted(namespace + "." + id)) does not exist")
    }

    static func apiError(_ refusal: FlowLibrary.Refusal) -> APIError {
        switch refusal {
        case .invalid: return APIError(status: 422, refusal.description)
        case .exists: return APIError(status: 409, refusal.description)
        case .notFound(let namespace, let id): return notFound(namespace, id)
        case .mismatch: return APIError(status: 422, refusal.description)
        case .conflict: return APIError(status: 409, refusal.description)
        }
    }
}
