import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A flow with one quick task on the embedded emulator.
private let quickFlow = """
    id: quick
    namespace: company.team
    tasks:
      - id: hello
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.ee.gcp.runner.Batch
          projectId: local-project
          region: europe-west9
          bucket: batchledger-local
        commands:
          - echo hello
    """

/// The status of one request sent without credentials (waits for the answer; the server is another process).
private func anonymousStatus(_ method: String, _ url: String, body: Data? = nil) -> Int? {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpBody = body
    if body != nil { request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type") }
    let semaphore = DispatchSemaphore(value: 0)
    final class Box: @unchecked Sendable { var status: Int? }
    let box = Box()
    URLSession.shared.dataTask(with: request) { _, response, _ in
        box.status = (response as? HTTPURLResponse)?.statusCode
        semaphore.signal()
    }.resume()
    semaphore.wait()
    return box.status
}

/// `run --local` with its temporary folder (TMPDIR) inside the test's folder, so leftovers can be counted.
private struct LocalRun {
    let cli: CLI
    let temporary: URL

    init() throws {
        cli = try CLI()
        temporary = cli.folder.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        try quickFlow.write(to: cli.folder.appendingPathComponent("quick.yaml"), atomically: true, encoding: .utf8)
    }

    var environment: [String: String] { ["TMPDIR": temporary.path] }

    /// The embedded emulators' folders left in the temporary folder.
    var leftovers: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []).filter {
            $0.hasPrefix("localcloud-")
        }
    }

    func quick() throws -> CLI.Result {
        try cli.run(
            [
                "run", cli.folder.appendingPathComponent("quick.yaml").path, "--local", "--secrets-file",
                CLI.sample("local.env"),
            ],
            environment: environment)
    }

    /// Starts the sleeper flow and waits until its job runs; returns the process and the emulator's URL.
    func startSleeper() throws -> (CLI.Running, String) {
        let running = try cli.start(
            ["run", CLI.fixture("sleeper.yaml"), "--local", "--secrets-file", CLI.sample("local.env")],
            environment: environment)
        let deadline = ContinuousClock.now + .seconds(60)
        var endpoint: String?
        while ContinuousClock.now < deadline {
            let text = running.stdout + running.stderr
            if endpoint == nil, let range = text.range(of: "local emulator at ") {
                endpoint = String(text[range.upperBound...].prefix(while: { $0 != ")" && !$0.isWhitespace }))
            }
            if endpoint != nil && text.contains("RUNNING") { break }
            if !running.process.isRunning { break }
            usleep(50_000)
        }
        return (running, try #require(endpoint, "no endpoint in: \(running.stdout) \(running.stderr)"))
    }
}

@Suite("the embedded emulator of run --local", .serialized)
struct EmbeddedEmulatorTests {
    @Test("a run leaves no localcloud-* folder (with its rendered scripts) behind")
    func noLeftover() throws {
        let run = try LocalRun()
        let result = try run.quick()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(run.leftovers.isEmpty, "left: \(run.leftovers)")
    }

    @Test("it answers only the engine: calls without the run's token get 401, /token too; Ctrl-C still cleans up")
    func onlyTheEngine() throws {
        let run = try LocalRun()
        let (running, endpoint) = try run.startSleeper()
        #expect(running.stdout.contains("RUNNING"), "\(running.stdout) \(running.stderr)")
        #expect(endpoint.hasPrefix("http://127.0.0.1:"))
        for path in [
            "/v1/projects/local-project/locations/europe-west9/jobs", "/storage/v1/b",
            "/storage/v1/b/batchledger-local/o",
        ] {
            #expect(anonymousStatus("GET", endpoint + path) == 401, "\(path)")
        }
        let now = Int(Date().timeIntervalSince1970)
        let claims = Data(#"{"aud":"https://oauth2.googleapis.com/token","iat":\#(now),"exp":\#(now + 600)}"#.utf8)
        let assertion =
            "eyJhbGciOiJSUzI1NiJ9." + claims.base64EncodedString().replacingOccurrences(of: "=", with: "") + ".c2ln"
        let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"
        #expect(anonymousStatus("POST", endpoint + "/token", body: Data(form.utf8)) == 401)
        #expect(run.leftovers.count == 1, "the running emulator's folder")
        kill(running.process.processIdentifier, SIGINT)
        running.process.waitUntilExit()
        #expect(running.process.terminationStatus == 130, "\(running.stderr)")
        #expect(run.leftovers.isEmpty, "left: \(run.leftovers)")
    }

    @Test("the folder of a killed run is swept by the next run --local")
    func sweptAfterKill() throws {
        let run = try LocalRun()
        let (running, _) = try run.startSleeper()
        kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        #expect(run.leftovers.count == 1)
        let result = try run.quick()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(run.leftovers.isEmpty, "left: \(run.leftovers)")
    }
}
