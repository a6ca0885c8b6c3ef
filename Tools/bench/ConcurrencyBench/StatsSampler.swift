import Engine
import Foundation
import GoogleCloud

/// One reading of the emulator's per-method request counters and of the engine's watcher counters.
struct Sample: Sendable {
    /// Seconds since the executions started.
    var time: Double
    /// `/_emulator/stats` request counts per API method (`jobs.get`, `jobs.list`, `entries.list`, …).
    var requests: [String: Int]
    /// Jobs per state, as the emulator holds them.
    var jobStates: [String: Int]
    /// `jobs.list` rounds of the engine's watchers so far.
    var rounds: Int
    /// Lone `jobs.get` calls of the engine's watchers so far.
    var lone: Int
    /// This process's resident set (KiB) and threads now.
    var rssKiB = 0
    var threads = 0

    func count(_ method: String) -> Int { requests[method] ?? 0 }
}

/// Reads `/_emulator/stats` and the registry's counters every `interval`, until cancelled, so that calls per
/// round and calls per minute can be computed afterwards.
actor StatsSampler {
    let endpoint: URL
    let registry: ServiceRegistry
    let transport: any HTTPTransport
    let start: ContinuousClock.Instant
    private(set) var samples: [Sample] = []

    init(endpoint: URL, registry: ServiceRegistry, transport: any HTTPTransport, start: ContinuousClock.Instant) {
        self.endpoint = endpoint
        self.registry = registry
        self.transport = transport
        self.start = start
    }

    /// One reading now, kept.
    @discardableResult
    func sample() async throws -> Sample {
        let (requests, states) = try await Self.stats(endpoint, transport: transport)
        let calls = await registry.watcherCalls()
        var reading = Sample(
            time: (ContinuousClock.now - start).seconds, requests: requests, jobStates: states, rounds: calls.rounds,
            lone: calls.lone)
        reading.rssKiB = Self.status("VmRSS")
        reading.threads = Self.status("Threads")
        samples.append(reading)
        return reading
    }

    /// Samples every `interval` until the task is cancelled (a failed reading is skipped, not fatal).
    func run(every interval: Duration) async {
        while !Task.isCancelled {
            _ = try? await sample()
            try? await Task.sleep(for: interval)
        }
    }

    /// A number from this process's /proc/self/status (0 when it cannot be read).
    static func status(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// The emulator's request counts per method and job counts per state.
    static func stats(_ endpoint: URL, transport: any HTTPTransport) async throws -> ([String: Int], [String: Int]) {
        let response = try await transport.send(
            HTTPRequest(method: "GET", url: endpoint.appendingPathComponent("_emulator/stats"), timeout: .seconds(30)))
        guard response.status == 200,
            let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        else {
            throw BenchError("GET \(endpoint)/_emulator/stats answered \(response.status); is it a batchledger emulator?")
        }
        let requests = (object["requests"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
        let states = (object["jobStates"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
        return (requests, states)
    }
}

/// A failure of the benchmark itself, said plainly.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
