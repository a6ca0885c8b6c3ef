import Engine
import Foundation
import GoogleCloud
import Ledger
import Synchronization
import Templates
import Testing

/// Output objects whose names would leave the task run's output folder: the name check, the destination built
/// under planted symbolic links, and the whole engine against a standalone emulator whose object listing is
/// doctored to hold such a name (LocalCloud itself refuses `..` names, as Cloud Storage does not).
@Suite("output files stay inside the task run's folder", .serialized)
struct OutputPathTests {
    @Test(
        "names that are not a plain relative path are refused",
        arguments: [
            "", "/etc/passwd", "../x", "a/../../x", "a/./b", ".", "..", "a//b", "a/", "a\\b", "..\\x",
            "a\u{0}b", "a\nb", "x\u{1B}[2J", "a\u{7F}", String(repeating: "n", count: 256),
        ])
    func refusedNames(name: String) {
        #expect(OutputPath.problem(name) != nil, "\(name.debugDescription) must be refused")
    }

    @Test("plain relative names are accepted", arguments: ["a.txt", "out/a/b/deep.txt", "..a", "a..", ".hidden", "é"])
    func acceptedNames(name: String) {
        #expect(OutputPath.problem(name) == nil, "\(name.debugDescription) must be accepted")
    }

    @Test("a planted symbolic link on the way, or as the file itself, is never written through")
    func plantedSymbolicLinks() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("outpath-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("outputs/exec/task")
        let outside = root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent("dir"), withDestinationURL: outside)
        let target = outside.appendingPathComponent("victim.txt")
        try Data("keep".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent("file.txt"), withDestinationURL: target)
        try Data("x".utf8).write(to: folder.appendingPathComponent("plain"))

        for (name, expected) in [
            ("dir/new.txt", "symbolic link"), ("dir/deeper/new.txt", "symbolic link"), ("file.txt", "symbolic link"),
            ("plain/below.txt", "not a folder"), ("../escape.txt", "'..'"),
        ] {
            #expect(throws: OutputPathRefusal.self, "\(name)") {
                try OutputPath.destination(for: name, in: folder)
            }
            let reason =
                (try? OutputPath.destination(for: name, in: folder)).map { "accepted \($0.path)" }
                ?? refusalReason(name, folder)
            #expect(reason.contains(expected), "\(name): \(reason)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path) == ["victim.txt"])
        #expect(try String(contentsOf: target, encoding: .utf8) == "keep")

        let fine = try OutputPath.destination(for: "a/b/c.txt", in: folder)
        #expect(fine.path == folder.appendingPathComponent("a/b/c.txt").path)
        var isDirectory: ObjCBool = false
        #expect(
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("a/b").path, isDirectory: &isDirectory)
        )
        #expect(isDirectory.boolValue)
    }

    private func refusalReason(_ name: String, _ folder: URL) -> String {
        do {
            _ = try OutputPath.destination(for: name, in: folder)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    /// How each flow selects what to download: a `**` glob, a `regex:` pattern, or `outputDirectory: true`.
    static let selections: [(name: String, yaml: String)] = [
        ("glob **", "    outputFiles:\n      - \"**\"\n"),
        ("regex", "    outputFiles:\n      - \"regex:.*\"\n"),
        ("outputDirectory", "    outputDirectory: true\n"),
    ]

    @Test(
        "an object named <wid>/../../../escape.txt is refused, recorded, shown, and nothing is written outside",
        arguments: [0, 1, 2])
    func doctoredListing(selection: Int) async throws {
        let (label, outputs) = Self.selections[selection]
        let cli = try CLI()
        let emulator = try Emulator(cli)
        let flowText = """
            id: escape
            namespace: company.team
            tasks:
              - id: write
                type: io.kestra.plugin.scripts.shell.Commands
                taskRunner:
                  type: io.kestra.plugin.ee.gcp.runner.Batch
                  projectId: local-project
                  region: europe-west9
                  bucket: batchledger-local
                commands:
                  - mkdir -p {{ \(selection == 2 ? "outputDir" : "workingDir") }}
                  - echo kept > {{ \(selection == 2 ? "outputDir" : "workingDir") }}/kept.txt

            """ + outputs
        let flow = try ExecutionRunner.load(flowPath: "escape.yaml", source: flowText)
        // Deep enough that three `..` segments stay inside the test's folder, where the walk below looks.
        let outputRoot = cli.folder.appendingPathComponent("a/b/c/outputs")
        let url = try #require(URL(string: emulator.endpoint))
        let transport = EscapingListing(inner: CurlTransport())
        let store = try EventStore(
            path: cli.ledger, options: .init(projections: [ProjectionRegistration(ExecutionSummaryProjection.self)]))
        let runner = ExecutionRunner(
            store: store,
            configuration: RunConfiguration(
                target: .google(
                    backend: Backend(kind: .endpoint, endpoint: GoogleEndpoints(base: url).batch.absoluteString),
                    endpoints: GoogleEndpoints(base: url), defaultCredentials: AnonymousCredentials(),
                    transport: transport, timing: .responsive),
                secrets: SecretStore(), environment: [:], outputDirectory: outputRoot, namespaceFilesDirectory: nil))
        let state = try await runner.run(flow: flow, flowPath: "escape.yaml", source: flowText, inputs: [:])

        #expect(transport.injected.withLock { $0 } != nil, "\(label): the listing was doctored")
        #expect(state.state == .succeeded, "\(label)")
        let run = try #require(state.taskRun("write"))
        #expect(run.outputFiles.keys.contains { $0.hasSuffix("kept.txt") }, "\(label): \(run.outputFiles)")
        #expect(run.refusedOutputFiles.count == 1, "\(label): \(run.refusedOutputFiles)")
        #expect(run.refusedOutputFiles.keys.first?.hasSuffix("/../../../escape.txt") == true)
        #expect(run.refusedOutputFiles.values.first?.contains("'..'") == true)
        // Nowhere in the test's folder (which holds the output root) was the escaping object written.
        let walker = try #require(FileManager.default.enumerator(atPath: cli.folder.path))
        let written = walker.compactMap { $0 as? String }.filter { $0.hasSuffix("escape.txt") }
        #expect(written.isEmpty, "\(label): written at \(written)")

        let show = try cli.run(["show", state.executionId])
        #expect(show.stdout.contains("refused object '"), "\(label): \(show.stdout)")
        #expect(show.stdout.contains("escape.txt': the name has a '..' segment"))
        let events = try cli.run(["replay", state.executionId])
        #expect(events.stdout.contains("OutputFileRefused"))
        #expect(try cli.run(["verify"]).status == 0)
    }
}

/// Forwards every call to a real emulator, but adds to each non-empty object listing one more object, named
/// like the first listed one's folder followed by `../../../escape.txt`, whose bytes are the first object's.
final class EscapingListing: HTTPTransport, @unchecked Sendable {
    let inner: any HTTPTransport
    /// (injected name, real name) once a listing was doctored.
    let injected = Mutex<(String, String)?>(nil)

    init(inner: any HTTPTransport) {
        self.inner = inner
    }

    var streamsFileBodies: Bool { inner.streamsFileBodies }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        // Cloud Storage deletes such an object at teardown; the emulator refuses its name, so answer for it here.
        if request.method == "DELETE", let (escaping, _) = injected.withLock({ $0 }),
            request.url.absoluteString.contains(PathSegmentLike.encode(escaping))
        {
            return HTTPResponse(status: 204)
        }
        var response = try await inner.send(request)
        guard request.method == "GET", request.url.path.hasSuffix("/o"), response.status == 200,
            var listing = try JSONSerialization.jsonObject(with: response.body) as? [String: Any],
            var items = listing["items"] as? [[String: Any]], let first = items.first,
            let name = first["name"] as? String, let slash = name.lastIndex(of: "/")
        else { return response }
        let escaping = String(name[..<slash]) + "/../../../escape.txt"
        var copy = first
        copy["name"] = escaping
        items.append(copy)
        listing["items"] = items
        response.body = try JSONSerialization.data(withJSONObject: listing)
        injected.withLock { $0 = (escaping, name) }
        return response
    }

    func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse {
        try await inner.download(redirect(request), to: file)
    }

    func download(_ request: HTTPRequest, to file: URL, observer: any TransferObserver) async throws -> HTTPResponse {
        try await inner.download(redirect(request), to: file, observer: observer)
    }

    /// A download of the injected object fetches the real one it copies.
    private func redirect(_ request: HTTPRequest) -> HTTPRequest {
        guard let (escaping, real) = injected.withLock({ $0 }) else { return request }
        let text = request.url.absoluteString
        let encoded = PathSegmentLike.encode(escaping)
        guard text.contains(encoded) else { return request }
        var copy = request
        copy.url = URL(string: text.replacingOccurrences(of: encoded, with: PathSegmentLike.encode(real)))!
        return copy
    }
}

/// Cloud Storage's object-name encoding in a URL path: everything but unreserved characters percent-encoded.
enum PathSegmentLike {
    static func encode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
                result.append(c)
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }
}
