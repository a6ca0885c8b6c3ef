import Foundation
import Testing

/// `batchledger validate` finds what `run` refuses, at the same FILE:LINE:COLUMN, and passes what runs.
@Suite("batchledger validate, end to end", .serialized)
struct ValidateTests {
    /// Broken flows under `Fixtures/invalid/`, each with the line both commands print for it (after the path).
    static let broken: [(file: String, line: String)] = [
        ("undefined_input.yaml", ":17:25: undefined variable 'inputs.row' (did you mean 'inputs.rows'?)"),
        ("template_syntax.yaml", ":12:27: expected an expression but found '}}'"),
        (
            "later_output.yaml",
            ":11:41: undefined variable 'outputs.second' (task 'second' runs after task 'first': a task reads the "
                + "outputs of tasks that ended before it)"
        ),
        (
            "no_project.yaml",
            ":7:7: the task runner has no projectId: set projectId (for example \"{{ secret('GCP_PROJECT_ID') }}\")"
        ),
        (
            "bad_bucket.yaml",
            ":10:15: bucket 'Batchledger_Local' is not a valid Cloud Storage bucket name: bucket names are lowercase: "
                + "write 'batchledger_local'"
        ),
        ("unknown_filter.yaml", ":15:33: unknown filter 'uper' (did you mean 'upper'?)"),
    ]

    static func invalid(_ name: String) -> String { CLI.fixture("invalid/\(name)") }

    @Test("each broken flow: validate and run --local exit 2 with the same line, and run starts nothing")
    func brokenFlowsFailAtTheSamePlace() throws {
        let cli = try CLI()
        for (file, line) in Self.broken {
            let path = Self.invalid(file)
            let validated = try cli.run(["validate", path, "--secrets-file", CLI.sample("local.env")])
            #expect(validated.status == 2, "\(file): \(validated.stderr)")
            #expect(validated.stderr == path + line + "\n", "\(file)")
            let (ran, _) = try cli.runLocal(path)
            #expect(ran.status == 2, "\(file): \(ran.stderr)")
            #expect(ran.stderr.contains(path + line + "\n"), "\(file): \(ran.stderr)")
        }
        // Refused before anything starts: not even a ledger was created.
        #expect(!FileManager.default.fileExists(atPath: cli.ledger))
    }

    @Test("every problem of a file, sorted by position; a secret is checked only when secrets are given")
    func everyProblemOfAFile() throws {
        let cli = try CLI()
        let path = Self.invalid("many_problems.yaml")
        let expected = [
            ":7:7: the task runner has no projectId: set projectId (for example \"{{ secret('GCP_PROJECT_ID') }}\")",
            ":8:19: undefined variable 'workingDir' (the task runner's properties, timeout and warningOnStdErr are "
                + "rendered before the job and its working directory exist)",
            ":10:24: undefined variable 'inputs.missing' (if it may be missing, use '?? fallback' or "
                + "'| default(fallback)')",
            ":10:46: undefined variable 'taskrun.value' (only tasks inside a ForEach have it)",
            ":11:25: undefined variable 'outputs.one' (a task cannot read its own outputs: they exist once it has "
                + "ended)",
        ].map { path + $0 }
        let plain = try cli.run(["validate", path])
        #expect(plain.status == 2)
        #expect(plain.stderr.split(separator: "\n").map(String.init) == expected)

        let secret =
            path + ":11:44: secret 'NOT_IN_THE_FILE' is not defined: set SECRET_NOT_IN_THE_FILE (Base64) in the "
            + "environment or add NOT_IN_THE_FILE=... to the secrets file"
        let withSecrets = try cli.run(["validate", path, "--secrets-file", CLI.sample("local.env")])
        #expect(withSecrets.stderr.split(separator: "\n").map(String.init) == expected + [secret])
    }

    @Test("a missing secret: validate with --secrets-file finds it where run fails rendering it")
    func missingSecret() throws {
        let cli = try CLI()
        let path = CLI.fixture("missing_secret.yaml")
        let line =
            path + ":8:22: secret 'NO_SUCH_SECRET' is not defined: set SECRET_NO_SUCH_SECRET (Base64) in the "
            + "environment or add NO_SUCH_SECRET=... to the secrets file"
        #expect(try cli.run(["validate", path]).status == 0, "without secrets, secrets are not checked")
        let validated = try cli.run(["validate", path, "--secrets-file", CLI.sample("local.env")])
        #expect(validated.status == 2)
        #expect(validated.stderr == line + "\n")
        let (ran, _) = try cli.runLocal(path)
        #expect(ran.status == 2)
        #expect(ran.stderr.contains(line), "\(ran.stderr)")
    }

    @Test("the samples and the flows the end-to-end tests run validate, and no secret value is printed")
    func runnableFlowsValidate() throws {
        let cli = try CLI()
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: CLI.fixture(""))
            .filter { $0.hasSuffix(".yaml") && !["bad_flow.yaml", "missing_secret.yaml"].contains($0) }
            .map { CLI.fixture($0) }
        let samples = try FileManager.default.contentsOfDirectory(atPath: CLI.sample(""))
            .filter { $0.hasSuffix(".yaml") }.map { CLI.sample($0) }
        let flows = samples + fixtures
        #expect(flows.count >= 12)
        let result = try cli.run(["validate", "--secrets-file", CLI.sample("local.env")] + flows)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(flows.count) flows valid\n")
        for secret in ["local-project", "batchledger-local"] {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        }
        let broken = try cli.run([
            "validate", "--secrets-file", CLI.sample("local.env"), Self.invalid("bad_bucket.yaml"),
        ])
        #expect(!broken.stderr.contains("local-project"))
    }

    @Test("an unreadable secrets file is refused with exit 2, naming the file")
    func unreadableSecretsFile() throws {
        let cli = try CLI()
        let result = try cli.run(["validate", CLI.sample("multi_task.yaml"), "--secrets-file", "/nonexistent/s.env"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/s.env"))
    }
}
