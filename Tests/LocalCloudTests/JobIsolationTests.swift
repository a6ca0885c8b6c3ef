import Foundation
import Testing

@testable import LocalCloud

/// The lines a job wrote to Cloud Logging, in order.
func logLines(_ client: TestClient, uid: String) async throws -> [String] {
    let logs = try await client.send(
        "POST", "/v2/entries:list",
        json: .object([
            "resourceNames": .array([.string("projects/p")]), "filter": .string("labels.job_uid=\"\(uid)\""),
            "pageSize": .int(1000),
        ]))
    return (logs.json["entries"]?.arrayValue ?? []).compactMap { $0["textPayload"]?.stringValue }
}

/// Every process's command line, NUL-separated, from /proc.
func allCommandLines() -> [(pid: String, cmdline: Data)] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { Int32($0) != nil }.compactMap { entry in
        FileManager.default.contents(atPath: "/proc/\(entry)/cmdline").map { (entry, $0) }
    }
}

func permissions(_ path: String) -> Int? {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber)?.intValue
}

@Suite("Job isolation")
struct JobIsolationTests {
    @Test("a job's script is never in a process's command line, and the job still runs it")
    func scriptNotInArguments() async throws {
        try await withCloud { cloud, client in
            let marker = "lc-secret-\(UUID().uuidString)"
            let script =
                "echo \(marker) > /mnt/disks/share/started; "
                + "while [ ! -e /mnt/disks/share/go ]; do sleep 0.05; done; echo \(marker)-done"
            var job = shellJob(script, bucketPath: "argv-bkt/run")
            // The same script once more as a Batch script runnable, which LocalCloud itself runs with sh -c.
            job["taskGroups"] = .array([
                .object([
                    "taskSpec": .object([
                        "runnables": .array([
                            job["taskGroups"]!.arrayValue![0]["taskSpec"]!["runnables"]!.arrayValue![0],
                            .object(["script": .object(["text": .string("echo \(marker)-script")])]),
                        ]),
                        "volumes": job["taskGroups"]!.arrayValue![0]["taskSpec"]!["volumes"]!,
                    ])
                ])
            ])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=argv", json: job)
            let started = cloud.dataDirectory.appendingPathComponent("storage/buckets/argv-bkt/run/started")
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: started.path), Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(FileManager.default.fileExists(atPath: started.path), "the job should be running")
            let needle = Data(marker.utf8)
            let leaking = allCommandLines().filter { $0.cmdline.range(of: needle) != nil }
            #expect(
                leaking.isEmpty,
                "command lines with the script: \(leaking.map { "\($0.pid): \(String(decoding: $0.cmdline, as: UTF8.self))" })"
            )
            let go = try await client.send(
                "POST", "/upload/storage/v1/b/argv-bkt/o?uploadType=media&name=run%2Fgo", body: Data("go".utf8))
            #expect(go.status == 200)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/argv")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
            let lines = try await logLines(client, uid: try #require(done["uid"]?.stringValue))
            #expect(lines == ["\(marker)-done", "\(marker)-script"])
            #expect(try String(contentsOf: started, encoding: .utf8) == "\(marker)\n")
            let scripts = cloud.dataDirectory.appendingPathComponent("work/jobs/\(done["uid"]!.stringValue!)")
            #expect(
                ((try? FileManager.default.contentsOfDirectory(atPath: scripts.path)) ?? []).isEmpty,
                "script files are removed once their runnable ended")
        }
    }

    @Test("files and folders a job creates are its user's only (umask 077)")
    func jobUmask() async throws {
        try await withCloud { cloud, client in
            let script = "mkdir /mnt/disks/share/dir && echo x > /mnt/disks/share/dir/file && echo y > /scratch/file"
            var job = shellJob(script, bucketPath: "umask-bkt")
            var spec = job["taskGroups"]!.arrayValue![0]["taskSpec"]!
            spec["volumes"] = .array(spec["volumes"]!.arrayValue! + [.object(["mountPath": .string("/scratch")])])
            job["taskGroups"] = .array([.object(["taskSpec": spec])])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=umask", json: job)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/umask")
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
            let bucket = cloud.dataDirectory.appendingPathComponent("storage/buckets/umask-bkt")
            #expect(permissions(bucket.appendingPathComponent("dir").path) == 0o700)
            #expect(permissions(bucket.appendingPathComponent("dir/file").path) == 0o600)
            let disk = cloud.dataDirectory.appendingPathComponent("work/disks/\(done["uid"]!.stringValue!)/scratch")
            #expect(permissions(disk.path) == 0o700)
            #expect(permissions(disk.appendingPathComponent("file").path) == 0o600)
        }
    }

    @Test("a job cannot write the host, read another job's folder or the state folder, or call the emulator")
    func jobConfinement() async throws {
        // Outside the temporary folder, so that only the sandbox (not the job's private /tmp) can keep it out.
        let outside = URL(fileURLWithPath: "/var/tmp/lc-isolation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        let hostFile = outside.appendingPathComponent("host.txt")
        try Data("original".utf8).write(to: hostFile)
        let state = outside.appendingPathComponent("state")
        try await withCloud(LocalCloudConfiguration(stateDirectory: state)) { cloud, client in
            let secret = "other-job-secret-\(UUID().uuidString)"
            var first = shellJob("echo \(secret) > /data/secret.txt")
            first["taskGroups"] = .array([
                .object([
                    "taskSpec": .object([
                        "runnables": first["taskGroups"]!.arrayValue![0]["taskSpec"]!["runnables"]!,
                        "volumes": .array([.object(["mountPath": .string("/data")])]),
                    ])
                ])
            ])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=owner", json: first)
            let owner = try await waitForJob(client, "projects/p/locations/us-central1/jobs/owner")
            #expect(owner["status"]?["state"] == .string("SUCCEEDED"))
            let otherFile = state.appendingPathComponent("work/disks/\(owner["uid"]!.stringValue!)/data/secret.txt")
            #expect(try String(contentsOf: otherFile, encoding: .utf8) == "\(secret)\n", "the first job wrote it")
            let port = cloud.endpoint.port!
            let probe = """
                if { echo pwned > \(hostFile.path); } 2>/dev/null; then echo host-write-ok; else echo host-write-refused; fi
                if touch \(outside.path)/new 2>/dev/null; then echo host-create-ok; else echo host-create-refused; fi
                if cat \(otherFile.path) 2>/dev/null; then echo other-read-ok; else echo other-read-refused; fi
                echo state-entries $(ls -A \(state.path) 2>/dev/null | wc -l)
                if bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port)' 2>/dev/null; then echo api-reached; else echo api-unreachable; fi
                echo run-entries $(ls -A /run 2>/dev/null | wc -l)
                if sh -c ': > /dev/tty' 2>/dev/null; then echo tty-open; else echo no-tty; fi
                echo mine > /mnt/disks/share/own.txt && cat /mnt/disks/share/own.txt
                """
            _ = try await client.send("POST", "\(parent)/jobs?jobId=prober", json: shellJob(probe, bucketPath: "mine"))
            let prober = try await waitForJob(client, "projects/p/locations/us-central1/jobs/prober")
            #expect(prober["status"]?["state"] == .string("SUCCEEDED"))
            let lines = try await logLines(client, uid: try #require(prober["uid"]?.stringValue))
            #expect(
                lines == [
                    "host-write-refused", "host-create-refused", "other-read-refused", "state-entries 0",
                    "api-unreachable", "run-entries 0", "no-tty", "mine",
                ])
            #expect(!lines.contains(secret))
            #expect(try String(contentsOf: hostFile, encoding: .utf8) == "original")
            #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("new").path))
            #expect(try await client.get("/storage/v1/b/mine/o/own.txt?alt=media").text == "mine\n")
        }
    }

    @Test("with the host's network a job reaches the loopback; without it, it does not")
    func networkOption() async throws {
        guard case .bubblewrap = Sandbox.detect() else {
            Issue.record("bubblewrap is not installed: apt-get install bubblewrap")
            return
        }
        let folder = temporaryDirectory("lc-network")
        defer { try? FileManager.default.removeItem(at: folder) }
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(bound == 0)
        #expect(listen(listener, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        for hostNetwork in [false, true] {
            let command = try #require(
                Sandbox.command(
                    tool: Sandbox.detect(), mounts: [],
                    program: ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"],
                    options: .init(hostNetwork: hostNetwork)))
            let outcome = await ProcessRunner.run(
                .init(
                    command: command, environment: ["PATH": "/usr/bin:/bin"],
                    exitFile: folder.appendingPathComponent("exit")),
                onStart: { _ in }, onOutput: { _, _ in })
            #expect((outcome == .exited(0)) == hostNetwork, "hostNetwork \(hostNetwork): \(outcome)")
        }
    }

    @Test("inline code of shells and Python moves to a file; options, $0 and arguments stay")
    func handoffForms() throws {
        let folder = temporaryDirectory("lc-handoff")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [([String], [String]?)] = [
            (["/bin/sh", "-c", "CODE"], ["/bin/sh", "-c", ". /.localcloud/f"]),
            (["/bin/bash", "-ec", "CODE", "name", "a"], ["/bin/bash", "-ec", ". /.localcloud/f", "name", "a"]),
            (["bash", "-o", "pipefail", "-c", "CODE"], ["bash", "-o", "pipefail", "-c", ". /.localcloud/f"]),
            (["sh", "-c", "-e", "CODE"], ["sh", "-c", "-e", ". /.localcloud/f"]),
            (["/bin/bash", "-O", "extglob", "-c", "CODE"], ["/bin/bash", "-O", "extglob", "-c", ". /.localcloud/f"]),
            (["bash", "+O", "nullglob", "-c", "CODE"], ["bash", "+O", "nullglob", "-c", ". /.localcloud/f"]),
            (["/usr/bin/env", "A=b", "sh", "-c", "CODE"], ["/usr/bin/env", "A=b", "sh", "-c", ". /.localcloud/f"]),
            (
                ["python3", "-u", "-c", "CODE", "x"],
                ["python3", "-u", "-c", "exec(compile(open('/.localcloud/f', 'rb').read(), '<string>', 'exec'))", "x"]
            ),
            (["/bin/sh", "/w/script.sh"], nil),
            (["python", "/w/main.py", "-c", "CODE"], nil),
            (["node", "-e", "CODE"], nil),
        ]
        for (program, expected) in cases {
            let prepared = try ScriptHandoff.prepare(program: program, folder: folder, name: "f")
            #expect(prepared.program == (expected ?? program), "\(program)")
            if expected == nil {
                #expect(prepared.mount == nil)
            } else {
                let file = try #require(prepared.file)
                #expect(try String(contentsOf: file, encoding: .utf8) == "CODE")
                #expect(permissions(file.path) == 0o600)
                #expect(prepared.mount == .init(source: file.path, target: "/.localcloud/f", readOnly: true))
            }
        }
    }

    @Test("shell options, $0, arguments and exit codes behave as with sh -c")
    func handoffSemantics() async throws {
        try await withCloud { _, client in
            let container: JSONValue = .object([
                "imageUri": .string("ubuntu"), "entrypoint": .string("/bin/bash"),
                "commands": .array([
                    .string("-ec"), .string("echo \"$0 $1 $2\"; false; echo not-reached"), .string("name"),
                    .string("one"), .string("two"),
                ]),
            ])
            let python: JSONValue = .object([
                "imageUri": .string("ubuntu"), "entrypoint": .string("/usr/bin/python3"),
                "commands": .array([.string("-c"), .string("import sys; print(sys.argv); sys.exit(3)"), .string("x")]),
            ])
            let job: JSONValue = .object([
                "taskGroups": .array([
                    .object([
                        "taskSpec": .object([
                            "runnables": .array([
                                .object(["container": container, "ignoreExitStatus": .bool(true)]),
                                .object(["container": python]),
                            ])
                        ])
                    ])
                ]),
                "logsPolicy": .object(["destination": .string("CLOUD_LOGGING")]),
            ])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=semantics", json: job)
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/semantics")
            #expect(lastExitCode(done) == 3)
            let lines = try await logLines(client, uid: try #require(done["uid"]?.stringValue))
            #expect(lines == ["name one two", "['-c', 'x']"])
        }
    }
}
