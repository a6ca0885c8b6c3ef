import Engine
import Foundation
import GoogleCloud
import Ledger
import Templates
import Testing

/// Secret masking through the real CLI: it masks free text only, in every form a job prints a secret, and never
/// touches the structure of an event; errors quoting a rendered value are masked before they are printed.
@Suite("secret masking, end to end", .serialized)
struct SecretMaskingTests {
    /// Writes `text` into the test's folder and returns its path.
    static func write(_ cli: CLI, _ name: String, _ text: String) throws -> String {
        let url = cli.folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Every event of every execution in the ledger, decoded (a row that does not decode fails the test).
    static func events(_ cli: CLI) throws -> [ExecutionEvent] {
        let store = try EventStore(path: cli.ledger, options: .init(readOnly: true))
        var decoded: [ExecutionEvent] = []
        try store.readAll { row in
            decoded.append(try ExecutionEvent.decode(row))
        }
        return decoded
    }

    static func logTexts(_ events: [ExecutionEvent]) -> [String] {
        events.flatMap { event -> [String] in
            if case .logLinesReceived(let lines) = event { return lines.lines.map(\.text) }
            return []
        }
    }

    static func vars(_ events: [ExecutionEvent]) -> [String: EventValue] {
        var result: [String: EventValue] = [:]
        for case .outputsParsed(let outputs) in events { result.merge(outputs.vars) { _, new in new } }
        return result
    }

    static let structuralFlow = """
        id: structural_secrets
        namespace: company.team
        tasks:
          - id: uses
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: "{{ secret('GCP_PROJECT_ID') }}"
              region: europe-west9
            env:
              LETTER: "{{ secret('LETTER') }}"
              KEYNAME: "{{ secret('KEYNAME') }}"
              FINAL: "{{ secret('FINAL') }}"
              FIELD: "{{ secret('FIELD') }}"
              JOBSTATE: "{{ secret('JOBSTATE') }}"
              NUMBER: "{{ secret('NUMBER') }}"
            commands:
              - echo "word:$FINAL:$JOBSTATE:$FIELD:$KEYNAME:"
              - echo '::{"outputs":{"n":'$NUMBER',"status":"'$FINAL'","plain":"ok"}}::'
        """

    @Test("secrets equal to a letter, a JSON key, a state or a number leave every event readable; free text is masked")
    func structuralSecretsKeepEventsReadable() throws {
        let cli = try CLI()
        let flow = try Self.write(cli, "structural.yaml", Self.structuralFlow)
        let secrets = try Self.write(
            cli, "structural.env",
            """
            GCP_PROJECT_ID=local-project
            LETTER=e
            KEYNAME=state
            FINAL=SUCCEEDED
            FIELD=taskRunId
            JOBSTATE=RUNNING
            NUMBER=12345

            """)
        let result = try cli.run(["run", flow, "--local", "--secrets-file", secrets, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8)))
        #expect(report.state == "SUCCEEDED")
        #expect(report.tasks.first?.state == "SUCCEEDED")
        let verify = try cli.run(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)")

        let events = try Self.events(cli)
        #expect(
            events.contains { if case .executionFinished(let end) = $0 { end.state == .succeeded } else { false } })
        #expect(events.contains { if case .jobPolled(let poll) = $0 { poll.state == "RUNNING" } else { false } })
        let logs = Self.logTexts(events)
        let word = try #require(logs.first { $0.hasPrefix("word:") })
        let masked = ["SUCCEEDED", "RUNNING", "taskRunId", "state"].map(SecretMasker.mask(for:))
        #expect(word == "word:" + masked.joined(separator: ":") + ":", "\(logs)")
        let vars = Self.vars(events)
        #expect(vars["n"] == .string("*****"), "a number equal to a secret is stored masked: \(vars)")
        #expect(vars["status"] == .string(SecretMasker.mask(for: "SUCCEEDED")))
        #expect(vars["plain"] == .string("ok"))
        #expect(!result.stderr.contains("word:SUCCEEDED"))
    }

    static let formsFlow = """
        id: secret_forms
        namespace: company.team
        tasks:
          - id: prints
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: local-project
              region: europe-west9
            env:
              PEM: "{{ secret('PEM') }}"
              ACCENT: "{{ secret('ACCENT') }}"
            commands:
              - echo "$PEM"
              - python3 -c 'import json,os; print(json.dumps({"pem":os.environ["PEM"],"a":os.environ["ACCENT"]}))'
              - python3 -c 'import json,os; print("::"+json.dumps({"outputs":{"pem":os.environ["PEM"]}})+"::")'
        """

    static let pem =
        "-----BEGIN TEST KEY-----\nAAAAline-one-of-the-key\nBBBBline\"two\\of-the-key\nxy\n-----END TEST KEY-----"

    @Test("a multi-line secret is masked line by line, and every secret in its JSON-escaped forms")
    func multiLineAndEscapedFormsAreMasked() throws {
        let cli = try CLI()
        let flow = try Self.write(cli, "forms.yaml", Self.formsFlow)
        let environment = [
            "SECRET_PEM": Data(Self.pem.utf8).base64EncodedString(),
            "SECRET_ACCENT": Data("pässwörd-ünïcode".utf8).base64EncodedString(),
        ]
        let result = try cli.run(["run", flow, "--local", "--json"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let events = try Self.events(cli)
        let logs = Self.logTexts(events)
        #expect(logs.count >= 6, "\(logs)")
        let ledger = String(decoding: cli.ledgerBytes(), as: UTF8.self)
        for piece in [
            "line-one-of-the-key", "AAAAline", "BBBBline", "of-the-key", "BEGIN TEST KEY", "pässwörd", "u00e4ssw",
        ] {
            #expect(!ledger.contains(piece), "the ledger holds \(piece)")
            #expect(!result.stderr.contains(piece), "the terminal shows \(piece)")
            #expect(!logs.contains { $0.contains(piece) }, "a log line holds \(piece): \(logs)")
        }
        #expect(Self.vars(events)["pem"] == .string(SecretMasker.mask(for: Self.pem)))
    }

    @Test("an error quoting a rendered timeout or boolean is masked before it is printed or recorded")
    func renderedValueErrorsAreMasked() throws {
        let cli = try CLI()
        let secrets = try Self.write(cli, "errors.env", "BADTIMEOUT=not-a-duration-value\nBADBOOL=maybe-not-bool\n")
        for (property, value) in [
            ("timeout: \"{{ secret('BADTIMEOUT') }}\"", "not-a-duration-value"),
            ("failFast: \"{{ secret('BADBOOL') }}\"", "maybe-not-bool"),
        ] {
            let flow = try Self.write(
                cli, "errors.yaml",
                """
                id: rendered_errors
                namespace: company.team
                tasks:
                  - id: broken
                    type: io.kestra.plugin.scripts.shell.Commands
                    \(property)
                    taskRunner:
                      type: io.kestra.plugin.ee.gcp.runner.Batch
                      projectId: local-project
                      region: europe-west9
                    commands:
                      - echo never
                """)
            let result = try cli.run(["run", flow, "--local", "--secrets-file", secrets])
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("rendered to '"), "\(result.stderr)")
            #expect(!result.stderr.contains(value), "\(result.stderr)")
            #expect(!result.stdout.contains(value))
            #expect(!String(decoding: cli.ledgerBytes(), as: UTF8.self).contains(value))
        }
    }

    @Test("a ForEach value rendered from a secret is masked in events and on the terminal")
    func forEachSecretValuesAreMasked() throws {
        let cli = try CLI()
        let secrets = try Self.write(cli, "values.env", "HIDDEN_VALUE=value-from-a-secret\n")
        let flow = try Self.write(
            cli, "values.yaml",
            """
            id: secret_values
            namespace: company.team
            tasks:
              - id: each
                type: io.kestra.plugin.core.flow.ForEach
                values: "{{ [secret('HIDDEN_VALUE'), 'plain-value'] | toJson }}"
                tasks:
                  - id: probe
                    type: io.kestra.plugin.scripts.shell.Commands
                    taskRunner:
                      type: io.kestra.plugin.ee.gcp.runner.Batch
                      projectId: local-project
                      region: europe-west9
                    commands:
                      - echo "probing {{ taskrun.value }}"
            """)
        let result = try cli.run(["run", flow, "--local", "--secrets-file", secrets])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("probing plain-value"), "\(result.stdout)")
        #expect(!result.stdout.contains("value-from-a-secret"), "\(result.stdout)")
        #expect(!String(decoding: cli.ledgerBytes(), as: UTF8.self).contains("value-from-a-secret"))
    }
}
