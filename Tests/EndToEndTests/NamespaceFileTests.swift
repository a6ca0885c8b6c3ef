import Foundation
import Testing

/// `read(path)` and `namespaceFiles` see only the namespace folder: no `..`, no absolute path, and no symbolic
/// link that resolves outside it. Through the built binary, on the embedded emulator.
@Suite("namespace files stay inside the namespace folder", .serialized)
struct NamespaceFileTests {
    /// A folder with a namespace folder in it, a secret file beside it, and links from inside to that file.
    struct Layout {
        let cli: CLI
        let namespace: URL
        let secret = "top-secret-\(UUID().uuidString)"

        init() throws {
            cli = try CLI()
            namespace = cli.folder.appendingPathComponent("namespace")
            let private_ = cli.folder.appendingPathComponent("private")
            try FileManager.default.createDirectory(at: namespace, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: private_, withIntermediateDirectories: true)
            try Data(secret.utf8).write(to: private_.appendingPathComponent("secret.txt"))
            try Data("inside\n".utf8).write(to: namespace.appendingPathComponent("inside.txt"))
            try FileManager.default.createSymbolicLink(
                atPath: namespace.appendingPathComponent("link.txt").path,
                withDestinationPath: private_.appendingPathComponent("secret.txt").path)
            try FileManager.default.createSymbolicLink(
                atPath: namespace.appendingPathComponent("relative.txt").path,
                withDestinationPath: "../private/secret.txt")
            try FileManager.default.createSymbolicLink(
                atPath: namespace.appendingPathComponent("folder").path, withDestinationPath: private_.path)
            try FileManager.default.createSymbolicLink(
                atPath: namespace.appendingPathComponent("alias.txt").path, withDestinationPath: "inside.txt")
        }

        func flow(_ command: String, namespaceFiles: Bool = false) throws -> String {
            let path = cli.folder.appendingPathComponent("flow-\(UUID().uuidString).yaml").path
            let text = """
                id: reader
                namespace: company.team
                tasks:
                  - id: show
                    type: io.kestra.plugin.scripts.shell.Commands
                    taskRunner:
                      type: io.kestra.plugin.ee.gcp.runner.Batch
                      projectId: "{{ secret('GCP_PROJECT_ID') }}"
                      region: europe-west9
                      bucket: "{{ secret('GCS_BUCKET') }}"
                \(namespaceFiles ? "    namespaceFiles:\n      enabled: true\n" : "")    commands:
                      - \(command)

                """
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        func run(_ flow: String) throws -> CLI.Result {
            try cli.run(
                [
                    "run", flow, "--local", "--secrets-file", CLI.sample("local.env"), "--namespace-files",
                    namespace.path, "--output-dir", cli.folder.appendingPathComponent("outputs").path,
                ])
        }
    }

    @Test(
        "read() of a link out of the folder, a '..' path or an absolute path fails at the template, naming the file",
        arguments: [
            ("link.txt", "symbolic link"), ("relative.txt", "symbolic link"), ("folder/secret.txt", "symbolic link"),
            ("../private/secret.txt", "'..'"), ("/etc/hostname", "absolute"),
        ])
    func readStaysInside(path: String, why: String) throws {
        let layout = try Layout()
        let flow = try layout.flow("echo \"{{ read('\(path)') }}\"")
        let result = try layout.run(flow)
        #expect(result.status == 2, "\(path): \(result.stderr)")
        #expect(result.stderr.contains("\(flow):"), "the template's location: \(result.stderr)")
        #expect(result.stderr.contains("function 'read': cannot read '\(path)'"), "\(result.stderr)")
        #expect(result.stderr.contains(why), "\(result.stderr)")
        #expect(!result.stdout.contains(layout.secret) && !result.stderr.contains(layout.secret))
        #expect(!String(decoding: layout.cli.ledgerBytes(), as: UTF8.self).contains(layout.secret))
    }

    @Test("read() follows a link that stays inside the folder")
    func readInsideLink() throws {
        let layout = try Layout()
        let result = try layout.run(try layout.flow("echo \"got {{ read('alias.txt') | trim }}\""))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("got inside"), "\(result.stdout)")
    }

    @Test("namespaceFiles stages the folder's own files, never a link's target outside it")
    func stagingStaysInside() throws {
        let layout = try Layout()
        let result = try layout.run(
            try layout.flow(
                "cd {{ workingDir }} && cat inside.txt alias.txt link.txt relative.txt folder/secret.txt || true",
                namespaceFiles: true))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "inside").count - 1 == 2, "\(result.stdout)")
        #expect(!result.stdout.contains(layout.secret), "a file outside the namespace folder was staged")
        #expect(!String(decoding: layout.cli.ledgerBytes(), as: UTF8.self).contains(layout.secret))
    }
}
