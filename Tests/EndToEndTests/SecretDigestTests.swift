import Engine
import Foundation
import Ledger
import Templates
import Testing

/// Secret digests: keyed (HMAC-SHA256 under a per-ledger key), so the ledger confirms no guessed value; still
/// compared on recover, old plain SHA-256 references included.
@Suite("secret digests, end to end", .serialized)
struct SecretDigestTests {
    static let secrets = "GCP_PROJECT_ID=local-project\nGCS_BUCKET=batchledger-local\nTOKEN=a-token-value\n"

    static func flow(sleep: Int) -> String {
        """
        id: secret_digests
        namespace: company.team
        tasks:
          - id: slow
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: "{{ secret('GCP_PROJECT_ID') }}"
              region: europe-west9
              bucket: "{{ secret('GCS_BUCKET') }}"
            env:
              TOKEN: "{{ secret('TOKEN') }}"
            commands:
              - echo "line one"
              - sleep \(sleep)
              - echo "line two"
        """
    }

    static func write(_ cli: CLI, _ name: String, _ text: String) throws -> String {
        let url = cli.folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// The secret references of every event in the ledger at `path`.
    static func references(_ path: String) throws -> [SecretReference] {
        let store = try EventStore(path: path, options: .init(readOnly: true))
        var found: [SecretReference] = []
        try store.readAll { row in
            switch try ExecutionEvent.decode(row) {
            case .attemptStarted(let started):
                found += [started.projectSecret, started.bucketSecret].compactMap { $0 }
            case .taskRendered(let rendered): found += rendered.secretsUsed
            default: break
            }
        }
        return found
    }

    static func sha256(_ text: String) -> String { SHA256Digest.of(Data(text.utf8)).hex }

    @Test("events hold HMACs of secret values, never their SHA-256, and two ledgers give different HMACs")
    func digestsAreKeyedPerLedger() throws {
        var digests: [[String: String]] = []
        for _ in 0..<2 {
            let cli = try CLI()
            let flow = try Self.write(cli, "digests.yaml", Self.flow(sleep: 0))
            let secrets = try Self.write(cli, "digests.env", Self.secrets)
            let result = try cli.run(["run", flow, "--local", "--secrets-file", secrets])
            #expect(result.status == 0, "\(result.stderr)")
            let ledger = String(decoding: cli.ledgerBytes(), as: UTF8.self)
            for value in ["local-project", "batchledger-local", "a-token-value"] {
                #expect(!ledger.contains(Self.sha256(value)), "the ledger holds the SHA-256 of \(value)")
                #expect(!ledger.contains(value), "the ledger holds \(value)")
            }
            #expect(!ledger.contains("\"sha256\""))
            let references = try Self.references(cli.ledger)
            #expect(Set(references.map(\.name)) == ["GCP_PROJECT_ID", "GCS_BUCKET", "TOKEN"])
            #expect(references.allSatisfy { $0.sha256 == nil && $0.hmacSHA256?.count == 64 })
            digests.append(Dictionary(references.map { ($0.name, $0.hmacSHA256 ?? "") }) { a, _ in a })
            #expect(try cli.run(["verify"]).status == 0)
        }
        for name in ["GCP_PROJECT_ID", "GCS_BUCKET", "TOKEN"] {
            #expect(digests[0][name] != nil && digests[0][name] != digests[1][name], "\(name): \(digests)")
        }
    }

    @Test("a reference recorded with a plain SHA-256 is still compared with the value")
    func legacyReferencesAreCompared() throws {
        let legacy = try JSONDecoder().decode(
            SecretReference.self,
            from: Data(#"{"name":"GCP_PROJECT_ID","sha256":"\#(Self.sha256("local-project"))"}"#.utf8))
        #expect(legacy.hmacSHA256 == nil)
        let key = try #require(SecretDigestKey(bytes: Array(repeating: 7, count: 32)))
        func use(_ value: String) throws -> SecretUse {
            let file = try SecretsFile(contents: "GCP_PROJECT_ID=\(value)", path: "s.env")
            let rendered = try TemplateEngine.render(
                "{{ secret('gcp_project_id') }}", origin: SourceLocation(file: "f.yaml", line: 1, column: 1),
                context: TemplateContext(secrets: SecretStore(environment: [:], file: file)))
            return try #require(rendered.secretUses.first)
        }
        #expect(legacy.matches(try use("local-project"), key: key))
        #expect(!legacy.matches(try use("another-project"), key: key))
        let current = SecretReference(try use("local-project"), key: key)
        #expect(current.matches(try use("local-project"), key: key))
        #expect(!current.matches(try use("another-project"), key: key))
        #expect(
            !current.matches(
                try use("local-project"), key: try #require(SecretDigestKey(bytes: Array(repeating: 8, count: 32)))))
        let encoded = String(decoding: try JSONEncoder().encode(current), as: UTF8.self)
        #expect(encoded.contains("hmacSHA256") && !encoded.contains("\"sha256\""))
    }

    /// Runs the slow flow on `emulator` until its 8th event (the job runs), then the process dies.
    static func crash(_ cli: CLI, _ emulator: Emulator, secrets: String) throws -> String {
        let flow = try write(cli, "slow.yaml", Self.flow(sleep: 2))
        let result = try cli.run(
            ["run", flow, "--endpoint", emulator.endpoint, "--secrets-file", secrets],
            environment: ["BATCHLEDGER_CRASH_AFTER_EVENTS": "8"])
        #expect(result.status == 137, "the failpoint stops the run: \(result.stderr)")
        return try #require(result.stdout.split(separator: " ").dropFirst().first.map(String.init))
    }

    @Test("recover resumes with the same secret values and refuses a changed project secret")
    func recoverComparesKeyedDigests() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let secrets = try Self.write(cli, "same.env", Self.secrets)
        let id = try Self.crash(cli, emulator, secrets: secrets)
        let recover = try cli.run(["recover", "--secrets-file", secrets])
        #expect(recover.status == 0, "\(recover.stderr)")
        #expect(try cli.run(["show", id]).stdout.contains("SUCCEEDED"))

        let second = try Self.crash(cli, emulator, secrets: secrets)
        let changed = try Self.write(
            cli, "changed.env", Self.secrets.replacingOccurrences(of: "=local-project", with: "=other-project"))
        let refused = try cli.run(["recover", "--secrets-file", changed])
        #expect(
            refused.stderr.contains("came from secret GCP_PROJECT_ID, whose value has changed"), "\(refused.stderr)")
        #expect(!(try cli.run(["show", second]).stdout.contains("slow  SUCCEEDED")))
    }

    @Test("recover compares references an earlier version recorded with a plain SHA-256")
    func recoverComparesLegacyDigests() throws {
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let secrets = try Self.write(cli, "same.env", Self.secrets)
        var ledgers: [String] = []
        for value in ["local-project", "other-project"] {
            let id = try Self.crash(cli, emulator, secrets: secrets)
            // The same history as an earlier version wrote it: references with the value's plain SHA-256.
            let legacy = cli.folder.appendingPathComponent("legacy-\(value).ledger").path
            try Self.copyAsLegacy(from: cli.ledger, stream: id, to: legacy)
            ledgers.append(legacy)
            let file = try Self.write(
                cli, "\(value).env", Self.secrets.replacingOccurrences(of: "=local-project", with: "=\(value)"))
            let recover = try cli.run(["recover", "--secrets-file", file], environment: ["BATCHLEDGER_LEDGER": legacy])
            if value == "local-project" {
                #expect(recover.status == 0, "\(recover.stderr)")
                let show = try cli.run(["show", id], environment: ["BATCHLEDGER_LEDGER": legacy])
                #expect(show.stdout.contains("SUCCEEDED"), "\(show.stdout)")
            } else {
                #expect(
                    recover.stderr.contains("came from secret GCP_PROJECT_ID, whose value has changed"),
                    "\(recover.stderr)")
            }
        }
    }

    /// Appends the events of `stream` to a new ledger at `target`, each secret reference rewritten to the old
    /// `{"name", "sha256"}` form (the SHA-256 of the value in `secrets`).
    static func copyAsLegacy(from source: String, stream: String, to target: String) throws {
        let values = ["GCP_PROJECT_ID": "local-project", "GCS_BUCKET": "batchledger-local", "TOKEN": "a-token-value"]
        func legacy(_ reference: Any?) -> Any? {
            guard let object = reference as? [String: Any], let name = object["name"] as? String else {
                return reference
            }
            return ["name": name, "sha256": sha256(values[name]!)]
        }
        let from = try EventStore(path: source, options: .init(readOnly: true))
        let to = try EventStore(path: target)
        for row in try from.events(in: stream) {
            var payload = try #require(try JSONSerialization.jsonObject(with: row.payload) as? [String: Any])
            for key in ["projectSecret", "bucketSecret"] where payload[key] != nil {
                payload[key] = legacy(payload[key])
            }
            if let used = payload["secretsUsed"] as? [Any] { payload["secretsUsed"] = used.map { legacy($0)! } }
            let data = try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
            try to.append([NewEvent(type: row.type, schemaVersion: row.schemaVersion, payload: data)], to: stream)
        }
    }
}
