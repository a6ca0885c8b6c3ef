import Foundation
import Testing

@testable import LocalCloud

@Suite("Python images")
struct PythonImageTests {
    @Test("a python:* image gets a Python with the kestra package (installed once into the cache)")
    func kestraImport() async throws {
        try await withCloud { _, client in
            let script =
                "python3 -c 'from kestra import Kestra; Kestra.outputs({\"answer\": 42}); import sys; print(sys.prefix)'"
            _ = try await client.send(
                "POST", "\(parent)/jobs?jobId=py", json: shellJob(script, image: "python:3.11-slim"))
            let done = try await waitForJob(client, "projects/p/locations/us-central1/jobs/py", timeout: 240)
            #expect(done["status"]?["state"] == .string("SUCCEEDED"))
            let uid = try #require(done["uid"]?.stringValue)
            let logs = try await client.send(
                "POST", "/v2/entries:list",
                json: .object([
                    "resourceNames": .array([.string("projects/p")]), "filter": .string("labels.job_uid=\"\(uid)\""),
                ]))
            let lines = (logs.json["entries"]?.arrayValue ?? []).compactMap { $0["textPayload"]?.stringValue }
            #expect(lines.contains { $0.contains("::{\"outputs\"") && $0.contains("42") }, "\(lines)")
            #expect(lines.contains { $0.hasSuffix("kestra-venv") }, "\(lines)")
            let events = (done["status"]?["statusEvents"]?.arrayValue ?? []).compactMap {
                $0["description"]?.stringValue
            }
            #expect(events.contains { $0.contains("runs image python:3.11-slim as the Python virtual environment") })
            // Kestra's own image, with commands and no entrypoint: `python` is the venv's.
            let pydata: JSONValue = .object([
                "taskGroups": .array([
                    .object([
                        "taskSpec": .object([
                            "runnables": .array([
                                .object([
                                    "container": .object([
                                        "imageUri": .string("ghcr.io/kestra-io/pydata:latest"),
                                        "commands": .array([
                                            .string("python"), .string("-c"),
                                            .string("import kestra, sys; sys.exit(3)"),
                                        ]),
                                    ])
                                ])
                            ])
                        ])
                    ])
                ])
            ])
            _ = try await client.send("POST", "\(parent)/jobs?jobId=pydata", json: pydata)
            let pydataDone = try await waitForJob(client, "projects/p/locations/us-central1/jobs/pydata", timeout: 240)
            #expect(lastExitCode(pydataDone) == 3, "the script ran and its exit code came back")
        }
    }
}
