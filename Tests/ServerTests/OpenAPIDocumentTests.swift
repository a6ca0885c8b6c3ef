import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ledger
import NIOCore
import Templates
import Testing

@testable import Engine
@testable import Server

/// The committed OpenAPI document (`openapi/batchledger.json`), read from the checkout.
private func committedDocument() throws -> Data {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return try Data(contentsOf: root.appendingPathComponent("openapi/batchledger.json"))
}

/// A target resolver for a server whose tests never start an execution.
private struct NoTargets: TargetResolver {
    struct Refused: Error {}
    func target(for backend: Backend) async throws -> ResolvedTarget { throw Refused() }
}

/// One operation of the document: its method (upper case), path and OpenAPI object.
private struct DocumentedOperation {
    var method: String
    var path: String
    var object: EventValue

    var pending: Bool { object["x-batchledger-pending"] != nil }
    var key: String { "\(method) \(path)" }
}

@Suite("The OpenAPI document: committed, embedded, served, and naming every route")
struct OpenAPIDocumentTests {
    let ledger: HistoryLedger
    let document: EventValue
    let check: SchemaCheck

    init() throws {
        ledger = try HistoryLedger()
        document = try EventValue.parse(try committedDocument())
        check = SchemaCheck(document: document)
    }

    /// The whole server (flows, executions, reads) over the test ledger.
    func server(tokens: APITokens? = nil) -> KestraServer {
        let engine = Engine(store: ledger.store, targets: NoTargets(), environment: [:])
        let host = ExecutionHost(
            engine: engine, backend: Backend(kind: .local, endpoint: nil), secrets: SecretStore(),
            outputDirectory: ledger.folder.appendingPathComponent("outputs"))
        return KestraServer.serving(store: ledger.store, executions: host, tokens: tokens)
    }

    private var operations: [DocumentedOperation] {
        guard case .object(let paths) = document["paths"] ?? .null else { return [] }
        return paths.flatMap { path, item -> [DocumentedOperation] in
            guard case .object(let methods) = item else { return [] }
            return methods.map { DocumentedOperation(method: $0.key.uppercased(), path: path, object: $0.value) }
        }
    }

    @Test("the binary serves the committed document byte for byte (else run Tools/openapi/embed.sh)")
    func embeddedCopyIsTheCommittedFile() throws {
        let committed = try committedDocument()
        #expect(
            OpenAPIDocument.bytes == committed,
            "OpenAPIDocument+Embedded.swift differs from openapi/batchledger.json: run Tools/openapi/embed.sh")
    }

    @Test("an OpenAPI 3.1 document: unique operation ids, references that resolve, every refusal in Kestra's shape")
    func documentIsWellFormed() throws {
        #expect(document["openapi"]?.string == "3.1.0")
        #expect(document["components"]?["securitySchemes"]?["bearerAuth"]?["scheme"]?.string == "bearer")
        var references: [String] = []
        func collect(_ value: EventValue) {
            switch value {
            case .object(let object):
                for (key, item) in object {
                    if key == "$ref", let text = item.string { references.append(text) } else { collect(item) }
                }
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        collect(document)
        #expect(references.count > 100)
        for reference in Set(references) {
            #expect(check.resolve(reference) != nil, "\(reference) does not resolve")
        }
        let ids = operations.compactMap { $0.object["operationId"]?.string }
        #expect(ids.count == operations.count && Set(ids).count == ids.count, "operation ids must be unique")
        for operation in operations {
            let responses = operation.object["responses"]?.keys ?? []
            #expect(responses.contains { $0.hasPrefix("2") }, "\(operation.key) has no success answer")
            let open = operation.object["security"]?.array?.isEmpty == true
            if !open {
                for status in ["400", "401", "403", "404", "413", "503"] {
                    #expect(responses.contains(status), "\(operation.key) does not document \(status)")
                }
            }
            for status in responses where !status.hasPrefix("2") {
                let answer = operation.object["responses"]?[status]
                let resolved = answer?["$ref"]?.string.flatMap(check.resolve) ?? answer
                #expect(
                    resolved?["content"]?["application/json"]?["schema"]?["$ref"]?.string
                        == "#/components/schemas/Error", "\(operation.key) \(status) is not Kestra's error shape")
            }
            // Every {parameter} of the path is declared, and only those.
            let templated = Set(
                operation.path.split(separator: "/").filter { $0.hasPrefix("{") }.map {
                    String($0.dropFirst().dropLast())
                })
            let declared = Set(
                (operation.object["parameters"]?.array ?? []).filter { $0["in"]?.string == "path" }
                    .compactMap { $0["name"]?.string })
            #expect(templated == declared, "\(operation.key): path parameters \(declared) for \(templated)")
        }
    }

    @Test("every group of routes lists its operations, and the document names exactly those the server answers")
    func documentNamesEveryOperationServed() throws {
        let responder = server().responder
        var served: Set<String> = []
        for group in responder.routes {
            let listed = type(of: group).operations
            #expect(!listed.isEmpty, "\(type(of: group)) lists no operations: add `static let operations`")
            for operation in listed {
                #expect(served.insert(operation.description).inserted, "\(operation) is listed twice")
            }
        }
        let documented = Set(operations.filter { !$0.pending && $0.path != OpenAPIDocument.path }.map(\.key))
        #expect(
            documented.subtracting(served).isEmpty,
            "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(
            served.subtracting(documented).isEmpty,
            "served but not documented: \(served.subtracting(documented).sorted())")
        let pending = Set(operations.filter(\.pending).map(\.key))
        #expect(
            pending.intersection(served).isEmpty,
            "served but still marked x-batchledger-pending: \(pending.intersection(served).sorted())")
        #expect(operations.contains { $0.path == OpenAPIDocument.path && $0.method == "GET" })
    }

    @Test("each documented operation is routed, and answers a status it documents in Kestra's error shape")
    func everyDocumentedOperationIsRouted() async throws {
        let check = check
        let operations = operations.filter { !$0.pending }
        try await server().application().test(.router) { client in
            for operation in operations {
                // An execution, flow and task run that do not exist: every route refuses them without a change.
                let uri = operation.path.replacingOccurrences(of: "{executionId}", with: "nope")
                    .replacingOccurrences(of: "{namespace}", with: "company.team")
                    .replacingOccurrences(of: "{id}", with: "hello")
                try await client.execute(uri: uri, method: HTTPRequest.Method(operation.method)!) { response in
                    let status = String(response.status.code)
                    let documented = operation.object["responses"]?[status]
                    #expect(documented != nil, "\(operation.key) answered \(status), which it does not document")
                    let resolved = documented?["$ref"]?.string.flatMap(check.resolve) ?? documented
                    let type = response.headers[.contentType]?.split(separator: ";").first.map(String.init) ?? ""
                    if let content = resolved?["content"] {
                        #expect(
                            content[type] != nil,
                            "\(operation.key) \(status) answered \(type), which it does not document")
                    }
                    guard type == "application/json" else { return }
                    let answer = try EventValue.parse(Data(buffer: response.body))
                    #expect(answer["message"]?.string?.hasPrefix("no such API path") != true, "\(operation.key)")
                    if response.status.code >= 400 {
                        let problems = check.problems(answer, check.schema(named: "Error"))
                        #expect(problems.isEmpty, "\(operation.key) \(status): \(problems)")
                    }
                }
            }
        }
    }

    @Test("an execution id that names a flow's stream (flow%2FNS%2FID) is no execution on any route")
    func flowStreamIsNoExecution() async throws {
        let flow = """
            id: hello
            namespace: company.team
            tasks:
              - id: t
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: p
                  region: r
                  bucket: b
                commands:
                  - echo hi
            """
        let operations = operations.filter { $0.path.contains("{executionId}") }
        try await server().application().test(.router) { client in
            let saved = try await client.execute(
                uri: "/api/v1/main/flows", method: .post, headers: [.contentType: "application/x-yaml"],
                body: ByteBuffer(string: flow))
            #expect(saved.status == .ok)
            for operation in operations {
                let uri = operation.path.replacingOccurrences(
                    of: "{executionId}", with: "flow%2Fcompany.team%2Fhello")
                let answer = try await client.execute(uri: uri, method: HTTPRequest.Method(operation.method)!)
                // A route with a required query parameter refuses its absence first.
                let required = (operation.object["parameters"]?.array ?? []).contains {
                    $0["in"]?.string == "query" && $0["required"]?.bool == true
                }
                #expect(
                    answer.status == (required ? .badRequest : .notFound),
                    "\(operation.key): \(String(buffer: answer.body))")
            }
        }
    }

    @Test("GET /api/v1/openapi.json needs no token; the tenant's routes still do")
    func documentIsServedWithoutAToken() async throws {
        let tokens = try APITokens(text: "ci:openapi-token-0123456789\n", file: "tokens")
        let answer = try await ask(server(tokens: tokens), OpenAPIDocument.path)
        #expect(answer.status == .ok)
        #expect(answer.headers[.contentType] == "application/json")
        #expect(Data(answer.text.utf8) == OpenAPIDocument.bytes)
        #expect(try await ask(server(tokens: tokens), "/api/v1/main/executions/search").status == .unauthorized)
        let posted = try await ask(server(tokens: tokens), OpenAPIDocument.path, method: .post)
        #expect(posted.status == .unauthorized, "only GET is open")
    }

    @Test("the answers of the reads and the Kestra samples match the document's schemas")
    func answersMatchTheSchemas() async throws {
        let server = server()
        let reads: [(uri: String, schema: String, array: Bool)] = [
            ("/api/v1/main/executions/exec-1", "Execution", false),
            ("/api/v1/main/executions/exec-2", "Execution", false),
            ("/api/v1/main/executions/exec-3", "Execution", false),
            ("/api/v1/main/executions/search?size=2", "PagedResults_Execution", false),
            ("/api/v1/main/logs/exec-1", "LogEntry", true),
            ("/api/v1/main/flows/search", "PagedResults_Flow", false),
            ("/api/v1/main/executions/exec-1/events?size=3", "PagedResults_LedgerEvent", false),
            ("/api/v1/main/executions/exec-1?at=2", "Execution", false),
            ("/api/v1/main/audit?execution=exec-2", "LedgerEvent", true),
            ("/api/v1/main/verify", "LedgerVerification", false),
            ("/api/v1/main/executions/nope", "Error", false),
            ("/api/v1/main/flows/search?page=0", "Error", false),
        ]
        for read in reads {
            let answer = try await ask(server, read.uri)
            let value = try EventValue.parse(Data(answer.text.utf8))
            var schema = EventValue.object(["$ref": .string("#/components/schemas/\(read.schema)")])
            if read.array { schema = .object(["type": .string("array"), "items": schema]) }
            let problems = check.problems(value, schema)
            #expect(problems.isEmpty, "\(read.uri): \(problems)")
        }
        let kinds: [String: (String, Bool)] = [
            "execution": ("Execution", false), "logs": ("LogEntry", true), "flow": ("Flow", false),
            "flowpage": ("PagedResults_Flow", false), "violations": ("ValidateConstraintViolation", true),
        ]
        for sample in try KestraSamplesTests.samples() {
            let kind = sample.name.split(separator: ".").dropLast().last.map(String.init) ?? ""
            let (name, isArray) = try #require(kinds[kind], "sample \(sample.name) has no schema")
            var schema = EventValue.object(["$ref": .string("#/components/schemas/\(name)")])
            if isArray { schema = .object(["type": .string("array"), "items": schema]) }
            let problems = check.problems(try EventValue.parse(sample.data), schema)
            #expect(problems.isEmpty, "\(sample.name): \(problems)")
        }
    }
}
