import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import LocalCloud

@Suite("HTTP server")
struct ServerTests {
    @Test("small responses do not wait on Nagle's algorithm: the server's end of a connection has TCP_NODELAY")
    func noNagleDelay() async throws {
        // Nagle plus delayed ACK would cost about 40 ms on every small answer. Rather than time answers (which a
        // busy machine stretches), look at the server's socket itself: the emulator runs in this process, so its
        // end of the connection is one of this process's descriptors.
        try await withCloud { cloud, _ in
            let port = try #require(cloud.endpoint.port)
            let served = try LoopbackConnection(port: port)
            defer { served.close() }
            #expect(try await served.get("/_emulator/stats").hasPrefix("HTTP/1.1 200"))
            let serverEnd = try #require(
                LoopbackConnection.descriptor(localPort: port, peerPort: served.localPort),
                "no descriptor of this process is the server's end of the connection")
            var noDelay: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            #expect(getsockopt(serverEnd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, &length) == 0)
            #expect(noDelay != 0, "the server's socket leaves Nagle's algorithm on")
        }
    }

    @Test("the emulator starts, answers and shuts down, three times in a row")
    func startsAndStops() async throws {
        // How fast it starts (about a second) is a property of an idle machine, for a benchmark, not a test.
        for _ in 0..<3 {
            let cloud = try await LocalCloud.start(LocalCloudConfiguration())
            #expect(try await TestClient(cloud).get("/_emulator/stats").status == 200)
            await cloud.shutdown()
        }
    }

    @Test("temporary data folders of emulators that ended without shutdown are swept; live ones are kept")
    func sweepsAbandonedFolders() async throws {
        let live = try await LocalCloud.start(LocalCloudConfiguration())
        let abandoned = FileManager.default.temporaryDirectory.appendingPathComponent(
            "localcloud-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: abandoned, withIntermediateDirectories: true)
        FileManager.default.createFile(
            atPath: abandoned.appendingPathComponent(".localcloud.lock").path, contents: nil,
            attributes: [.modificationDate: Date().addingTimeInterval(-120)])
        LocalCloud.sweepAbandonedDataDirectories()
        // Emulators starting in parallel tests sweep too; one of them may be the one removing it.
        for _ in 0..<50 where FileManager.default.fileExists(atPath: abandoned.path) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        #expect(FileManager.default.fileExists(atPath: live.dataDirectory.path))
        await live.shutdown()
        #expect(!FileManager.default.fileExists(atPath: live.dataDirectory.path))
    }

    @Test("unknown paths get a 404 that lists what is served")
    func unknownPath() async throws {
        try await withCloud { _, client in
            let response = try await client.get("/nothing/here")
            #expect(response.status == 404)
            #expect(response.json["error"]?["message"]?.stringValue?.contains("/storage/v1") == true)
        }
    }
}

@Suite("Sandbox")
struct SandboxTests {
    @Test("mount targets at the root exist only inside the namespace, for root and for nobody")
    func bubblewrapLeavesNothing() async throws {
        guard case .bubblewrap = Sandbox.detect() else {
            Issue.record("bubblewrap is not installed: apt-get install bubblewrap")
            return
        }
        let folder = temporaryDirectory("lc-sandbox")
        defer { try? FileManager.default.removeItem(at: folder) }
        chmod(folder.path, 0o777)
        let target = "/lc-test-\(UInt32.random(in: 0...UInt32.max))"
        let mounts = [
            Sandbox.Mount(source: folder.path, target: target, readOnly: false),
            Sandbox.Mount(source: folder.path, target: "/mnt/disks/share", readOnly: false),
        ]
        let command = try #require(
            Sandbox.command(
                tool: Sandbox.detect(), mounts: mounts,
                program: ["/bin/sh", "-c", "id -u > \(target)/uid-$(id -u); ls /mnt/disks/share"]))
        var runs = [command]
        if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            runs.append(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command)
        }
        for run in runs {
            let outcome = await ProcessRunner.run(
                .init(
                    command: run, environment: ["PATH": "/usr/bin:/bin"],
                    exitFile: folder.appendingPathComponent("exit")),
                onStart: { _ in }, onOutput: { _, _ in })
            #expect(outcome == .exited(0))
        }
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("uid-\(getuid())").path))
        if runs.count > 1 {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("uid-65534").path))
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(try String(contentsOf: folder.appendingPathComponent("exit"), encoding: .utf8) == "0\n")
    }

    @Test("without bubblewrap, a job fails with a message naming the package to install")
    func noSandboxTool() async throws {
        let cloud = try await LocalCloud.start(LocalCloudConfiguration(), sandbox: .unavailable(Sandbox.missingMessage))
        let client = TestClient(cloud)
        _ = try await client.send("POST", "\(parent)/jobs?jobId=no-sandbox", json: shellJob("true"))
        let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/no-sandbox")
        await cloud.shutdown()
        #expect(done["status"]?["state"] == .string("FAILED"))
        let descriptions = (done["status"]?["statusEvents"]?.arrayValue ?? []).compactMap {
            $0["description"]?.stringValue
        }
        #expect(descriptions.contains { $0.contains("apt-get install bubblewrap") })
    }

    @Test("images of the Kestra Python family map to the Python environment")
    func imageRuntime() {
        #expect(ImageRuntime.forImage("ghcr.io/kestra-io/pydata:latest") == .python)
        #expect(ImageRuntime.forImage("ghcr.io/kestra-io/kestrapy:latest") == .python)
        #expect(ImageRuntime.forImage("python:3.11-slim") == .python)
        #expect(ImageRuntime.forImage("docker.io/library/python:3.12") == .python)
        #expect(ImageRuntime.forImage("ubuntu:22.04") == .host)
        #expect(ImageRuntime.forImage("pythonista/tool:1") == .host)
    }
}
