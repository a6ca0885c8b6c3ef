import Engine
import Flows
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ledger
import NIOCore
import Server
import Testing

/// `POST /api/v1/main/flows/validate` answers with the problems `batchledger validate` prints (`FlowCheck`), one
/// result per `---` document, places counted in the whole body.
@Suite("serve's flow validation runs the checks of batchledger validate")
struct FlowsValidateTests {
    static let valid = """
        id: fine
        namespace: company.team
        inputs:
          - id: name
            type: STRING
        tasks:
          - id: hello
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: my-project
              region: europe-west9
            commands:
              - echo hello {{ inputs.name }}
        """

    static let broken = """
        id: broken
        namespace: company.team
        tasks:
          - id: hello
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              region: "{{ vars.region }}"
            commands:
              - |
                echo start
                echo {{ inputs.name | uper }}
          - id: local
            type: io.kestra.plugin.scripts.shell.Commands
            commands: [echo hi]
        """

    func validate(_ body: String) async throws -> (status: HTTPResponse.Status, results: [[String: Any]]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("validate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try EventStore(path: folder.appendingPathComponent("ledger.db").path)
        let server = KestraServer(
            responder: KestraResponder(routes: [FlowsAPI(library: FlowLibrary(store: store))], tokens: nil))
        return try await server.application().test(.router) { client in
            try await client.execute(
                uri: "/api/v1/main/flows/validate", method: .post, headers: [.contentType: "application/x-yaml"],
                body: ByteBuffer(string: body)
            ) { response in
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body))
                return (response.status, try #require(json as? [[String: Any]]))
            }
        }
    }

    @Test("every document's errors and warnings, at their place in the body, as FlowCheck finds them")
    func sameCheckAsTheCommand() async throws {
        let body = Self.valid + "\n---\n" + Self.broken + "\n"
        let (status, results) = try await validate(body)
        #expect(status == .ok)
        #expect(results.count == 2)
        #expect(results[0]["constraints"] == nil && results[0]["flow"] as? String == "fine")
        #expect((results[0]["warnings"] as? [String]) == [])

        // The second document starts after the first one's lines and the `---` line.
        let offset = Self.valid.split(separator: "\n", omittingEmptySubsequences: false).count + 1
        let expected = [
            "flow.yaml:\(offset + 7):7: the task runner has no projectId: set projectId (for example "
                + "\"{{ secret('GCP_PROJECT_ID') }}\")",
            "flow.yaml:\(offset + 8):24: undefined variable 'vars.region' (if it may be missing, use '?? fallback' or "
                + "'| default(fallback)')",
            "flow.yaml:\(offset + 12):24: undefined variable 'inputs.name' (if it may be missing, use '?? fallback' "
                + "or '| default(fallback)')",
            "flow.yaml:\(offset + 12):31: unknown filter 'uper' (did you mean 'upper'?)",
        ]
        #expect((results[1]["constraints"] as? String)?.split(separator: "\n").map(String.init) == expected)
        #expect(
            (results[1]["warnings"] as? [String]) == [
                "flow.yaml:\(offset + 13):5: warning: task 'local' has no taskRunner: BatchLedger runs script tasks "
                    + "on io.kestra.plugin.ee.gcp.runner.Batch; add a taskRunner (or a pluginDefaults entry for it)"
            ])

        // The very lines `batchledger validate` prints for the same document.
        let document = String(repeating: "\n", count: offset) + Self.broken + "\n"
        let command = FlowCheck.check(source: document, file: "flow.yaml")
        #expect(command.filter { $0.severity == .error }.map(\.description) == expected)
    }

    @Test("a flow with a Subflow task is saved in the library: its child is read from the library when it runs")
    func subflowSavedInTheLibrary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("library-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = FlowLibrary(store: try EventStore(path: folder.appendingPathComponent("ledger.db").path))
        let source = """
            id: parent
            namespace: company.team
            tasks:
              - id: call
                type: io.kestra.plugin.core.flow.Subflow
                namespace: company.team
                flowId: child
                revision: 2
            """
        let saved = try library.save(source, path: "parent.yaml", mode: .create, requestedBy: "alice")
        #expect(saved.revision == 1)
        #expect(try library.catalog().map(\.flowId) == ["parent"])
    }
}
