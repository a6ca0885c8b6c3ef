import Foundation

@testable import LocalCloud

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A response as the tests look at it.
struct TestResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? {
        headers.first(where: { $0.key.lowercased() == name.lowercased() })?.value
    }
}

/// Refuses redirects, so a resumable upload's 308 comes back to the test.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

/// A tiny HTTP client over URLSession, pointed at one emulator.
struct TestClient: Sendable {
    let base: URL
    let session: URLSession

    init(_ cloud: LocalCloud) { self.init(base: cloud.endpoint) }

    init(base: URL) {
        self.base = base
        let configuration = URLSessionConfiguration.ephemeral
        // A guard against a server that never answers, not a bound: a loaded machine may take long.
        configuration.timeoutIntervalForRequest = 600
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    func send(
        _ method: String, _ path: String, json: JSONValue? = nil, body: Data? = nil, headers: [String: String] = [:]
    ) async throws -> TestResponse {
        let url = path.hasPrefix("http") ? URL(string: path)! : URL(string: base.absoluteString + path)!
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.httpBody = json.encoded()
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = body
        }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
        return TestResponse(status: http.statusCode, headers: fields, body: data)
    }

    func get(_ path: String) async throws -> TestResponse { try await send("GET", path) }
}

/// Starts an emulator for one test and always shuts it down.
func withCloud<T>(
    _ configuration: LocalCloudConfiguration = LocalCloudConfiguration(),
    _ body: (LocalCloud, TestClient) async throws -> T
) async throws -> T {
    let cloud = try await LocalCloud.start(configuration)
    let client = TestClient(cloud)
    // Connections are closed before the server stops, so none is being accepted while it shuts down.
    do {
        let result = try await body(cloud, client)
        client.session.invalidateAndCancel()
        await cloud.shutdown()
        return result
    } catch {
        client.session.invalidateAndCancel()
        await cloud.shutdown()
        throw error
    }
}

let parent = "/v1/projects/p/locations/us-central1"

/// A job body with one container runnable running `/bin/sh -c script`, Kestra-style volumes.
func shellJob(
    _ script: String, bucketPath: String? = nil, wid: String? = nil, extraSpec: [String: JSONValue] = [:],
    labels: [String: String] = [:], image: String = "ubuntu:22.04"
) -> JSONValue {
    var container: [String: JSONValue] = [
        "imageUri": .string(image), "entrypoint": .string("/bin/sh"),
        "commands": .array([.string("-c"), .string(script)]),
    ]
    var spec: [String: JSONValue] = [:]
    if let bucketPath {
        spec["volumes"] = .array([
            .object(["gcs": .object(["remotePath": .string(bucketPath)]), "mountPath": .string("/mnt/disks/share")])
        ])
        if let wid { container["volumes"] = .array([.string("/mnt/disks/share:/\(wid)")]) }
    }
    spec["runnables"] = .array([.object(["container": .object(container)])])
    for (key, value) in extraSpec { spec[key] = value }
    return .object([
        "taskGroups": .array([.object(["taskSpec": .object(spec), "taskCount": .string("1")])]),
        "logsPolicy": .object(["destination": .string("CLOUD_LOGGING")]),
        "labels": .object(labels.mapValues { .string($0) }),
    ])
}

/// Polls a job until it reaches one of `states` (or the deadline passes) and returns the last answer.
func waitForJob(
    _ client: TestClient, _ name: String, states: Set<String> = ["SUCCEEDED", "FAILED", "CANCELLED"],
    timeout: Double = 300
) async throws -> JSONValue {
    // The bound only keeps a hung emulator from hanging the suite: jobs run real processes, which a loaded
    // machine (the whole suite at once on two cores) may take many seconds to start and retry.
    let deadline = Date().addingTimeInterval(timeout)
    var last = JSONValue.null
    while Date() < deadline {
        let response = try await client.get("/v1/\(name)")
        last = response.json
        if let state = last["status"]?["state"]?.stringValue, states.contains(state) { return last }
        try await Task.sleep(for: .milliseconds(50))
    }
    return last
}

/// The exit code of the last status event that has one.
func lastExitCode(_ job: JSONValue) -> Int64? {
    (job["status"]?["statusEvents"]?.arrayValue ?? []).reversed().compactMap {
        $0["taskExecution"]?["exitCode"]?.int64Value
    }
    .first
}

func temporaryDirectory(_ name: String = "lc-test") -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Processes whose command line is exactly `arguments` (read from /proc).
/// Polls a long-running operation until it is done (the emulator finishes deletes once the job's processes are
/// gone), up to `timeout` seconds; returns the last answer.
func waitForOperation(_ client: TestClient, _ name: String, timeout: Double = 300) async throws -> JSONValue {
    let deadline = Date().addingTimeInterval(timeout)
    var last = JSONValue.null
    while Date() < deadline {
        last = try await client.get("/v1/\(name)").json
        if last["done"] == .bool(true) { return last }
        try await Task.sleep(for: .milliseconds(20))
    }
    return last
}

/// Waits until `count` processes run exactly `arguments` (a job's processes start a moment after the job is
/// RUNNING); false if they do not within `timeout` seconds. It polls because nothing announces an exec.
func waitForProcesses(running arguments: [String], count: Int, timeout: Double = 60) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if processes(running: arguments).count == count { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return false
}

func processes(running arguments: [String]) -> [Int32] {
    let wanted = Data(arguments.joined(separator: "\0").utf8) + Data([0])
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry),
            let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), cmdline == wanted
        else { return nil }
        return pid
    }
}
