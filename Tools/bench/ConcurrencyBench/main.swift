// concurrency-bench: N executions of a one-task flow (one Batch job that sleeps), all started at once in this
// process through the engine (`ExecutionRunner`), sharing one `ServiceRegistry`, against a standalone emulator.
// Prints one JSON object of figures on standard output; progress goes to standard error.
//
//   concurrency-bench --endpoint URL --ledger PATH [--executions 100] [--sleep 20] [--timing standard]
//                     [--project local-project] [--region europe-west9] [--bucket batchledger-local]
//
// Tools/bench/concurrency.py builds it, starts the emulator, runs it under strace (to count fsyncs, which the
// ledger does not count itself) and prints the figures against the issue's targets.
import Engine
import Foundation
import GoogleCloud
import Ledger
import Templates

#if canImport(Glibc)
    import Glibc
#endif

struct Options {
    var endpoint = URL(string: "http://127.0.0.1:8080")!
    var ledger = ""
    var executions = 100
    var sleepSeconds = 20
    var timing = "standard"
    var project = "local-project"
    var region = "europe-west9"
    var bucket = "batchledger-local"
    var sampleInterval = 1.0
    /// Where to write every sample as a JSON line (for a closer look), if anywhere.
    var samplesPath: String?
    /// `runner`: `ExecutionRunner`s sharing one `ServiceRegistry(sharedBy:)`; `engine`: `Engine.start`, as a host
    /// of the engine API calls it, every start on the same target.
    var via = "runner"

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var given = Set<String>()
        var rest = arguments[...]
        while let name = rest.popFirst() {
            guard let value = rest.popFirst() else { throw BenchError("\(name) needs a value") }
            given.insert(name)
            switch name {
            case "--endpoint":
                guard let url = URL(string: value), url.host != nil else { throw BenchError("--endpoint \(value): not a URL") }
                options.endpoint = url
            case "--ledger": options.ledger = value
            case "--executions": options.executions = try number(value, name)
            case "--sleep": options.sleepSeconds = try number(value, name)
            case "--timing": options.timing = value
            case "--project": options.project = value
            case "--region": options.region = value
            case "--bucket": options.bucket = value
            case "--sample-interval": options.sampleInterval = Double(try number(value, name)) / 1000
            case "--samples": options.samplesPath = value
            case "--via":
                guard ["runner", "engine"].contains(value) else { throw BenchError("--via \(value): runner or engine") }
                options.via = value
            default: throw BenchError("unknown option \(name)")
            }
        }
        guard given.contains("--endpoint"), given.contains("--ledger") else {
            throw BenchError(
                "usage: concurrency-bench --endpoint URL --ledger PATH [--executions N] [--sleep S] "
                    + "[--timing standard|responsive] [--project P] [--region R] [--bucket B] [--sample-interval MS] [--samples FILE] [--via runner|engine]")
        }
        return options
    }

    static func number(_ text: String, _ name: String) throws -> Int {
        guard let value = Int(text), value > 0 else { throw BenchError("\(name) \(text): give a whole number above 0") }
        return value
    }

    var flowSource: String {
        """
        id: concurrency_bench
        namespace: bench
        tasks:
          - id: sleeper
            type: io.kestra.plugin.scripts.shell.Commands
            taskRunner:
              type: io.kestra.plugin.ee.gcp.runner.Batch
              projectId: \(project)
              region: \(region)
              bucket: \(bucket)
            commands:
              - echo "started {{ execution.id }}"
              - sleep \(sleepSeconds)

        """
    }
}

/// Every execution on the same target (one `GoogleWorld`: one log allowance per project), as a server would.
struct OneTarget: TargetResolver {
    let target: CloudTarget
    func target(for backend: Backend) async throws -> ResolvedTarget { ResolvedTarget(target: target) }
}

func note(_ text: String) {
    FileHandle.standardError.write(Data("concurrency-bench: \(text)\n".utf8))
}

func usage() -> rusage {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage
}

func cpuSeconds(_ usage: rusage) -> Double {
    Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

func main() async throws {
    let options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    guard let timing = Timing.named(options.timing) else { throw BenchError("--timing \(options.timing): standard or responsive") }
    let source = options.flowSource
    let flow = try ExecutionRunner.load(flowPath: "concurrency_bench.yaml", source: source)
    let store = try EventStore(
        path: options.ledger,
        options: .init(projections: [ProjectionRegistration(ExecutionSummaryProjection.self)]))
    let transport = CurlTransport()
    let target = CloudTarget.google(
        backend: Backend(kind: .endpoint, endpoint: options.endpoint.absoluteString),
        endpoints: GoogleEndpoints(base: options.endpoint), defaultCredentials: AnonymousCredentials(),
        transport: transport, timing: timing)
    let registry = ServiceRegistry(sharedBy: target.world, timing: timing)
    let outputs = FileManager.default.temporaryDirectory.appendingPathComponent(
        "concurrency-bench-\(getpid())", isDirectory: true)
    var configuration = RunConfiguration(
        target: target, secrets: SecretStore(), environment: [:], outputDirectory: outputs,
        namespaceFilesDirectory: nil)
    configuration.sharedServices = registry
    let runner = ExecutionRunner(store: store, configuration: configuration)
    let engine = Engine(store: store, targets: OneTarget(target: target), environment: [:])
    let loaded = try LoadedFlow(FlowSource(path: "concurrency_bench.yaml", text: source))
    let request = StartRequest(
        flow: loaded, inputs: [:], secrets: SecretStore(), backend: target.backend, outputDirectory: outputs)
    let viaEngine = options.via == "engine"

    let eventsBefore = try store.lastSeq()
    let writerBefore = store.writerStatistics
    let cpuBefore = cpuSeconds(usage())
    let start = ContinuousClock.now
    let sampler = StatsSampler(endpoint: options.endpoint, registry: registry, transport: transport, start: start)
    try await sampler.sample()
    let sampling = Task { await sampler.run(every: .milliseconds(Int64(options.sampleInterval * 1000))) }
    note("starting \(options.executions) executions against \(options.endpoint.absoluteString) (timing \(options.timing))")

    var states: [String: Int] = [:]
    var errors: [String] = []
    var withLogLine = 0
    await withTaskGroup(of: Result<ExecutionState, any Error>.self) { group in
        for _ in 0..<options.executions {
            group.addTask {
                do {
                    if viaEngine { return .success(try await engine.start(request).state) }
                    return .success(
                        try await runner.run(flow: flow, flowPath: "concurrency_bench.yaml", source: source, inputs: [:]))
                } catch {
                    return .failure(error)
                }
            }
        }
        var done = 0
        for await result in group {
            done += 1
            switch result {
            case .success(let state):
                states[state.state.rawValue, default: 0] += 1
                if state.storedLogBytes > 0 { withLogLine += 1 }
            case .failure(let error):
                states["ERROR", default: 0] += 1
                if errors.count < 5 { errors.append(String("\(error)".prefix(300))) }
            }
            if done % max(1, options.executions / 10) == 0 {
                note("\(done) of \(options.executions) ended after \(String(format: "%.1f", (ContinuousClock.now - start).seconds)) s")
            }
        }
    }
    let wall = (ContinuousClock.now - start).seconds
    sampling.cancel()
    _ = await sampling.value
    try await sampler.sample()
    let cpu = cpuSeconds(usage()) - cpuBefore
    let peakRSSKiB = Int(usage().ru_maxrss)
    let events = try store.lastSeq() - eventsBefore
    let writer = store.writerStatistics
    let groupTransactions = writer.transactions - writerBefore.transactions
    let groupAppends = writer.appends - writerBefore.appends
    let groupEvents = writer.events - writerBefore.events
    let calls = await registry.watcherCalls()
    let figures = Figures(samples: await sampler.samples, executions: options.executions)
    if let path = options.samplesPath {
        try figures.samplesJSONLines.write(toFile: path, atomically: true, encoding: .utf8)
    }

    let report: [String: Any] = [
        "mode": "in-process",
        "via": options.via,
        "executions": options.executions,
        "timing": options.timing,
        "finalStates": states,
        "executionsWithLogLineStored": withLogLine,
        "errors": errors,
        "wallSeconds": wall,
        "peakRSSMiB": Double(peakRSSKiB) / 1024,
        "cpuSecondsPerExecution": cpu / Double(options.executions),
        "cpuSeconds": cpu,
        "ledgerEvents": events,
        "eventsPerExecution": Double(events) / Double(options.executions),
        // The ledger's writer counts its group transactions (appends only); lease acquisitions, heartbeats and
        // releases are transactions it does not count: concurrency.py counts every fdatasync with strace.
        "writerGroupTransactions": groupTransactions,
        "writerAppends": groupAppends,
        "writerEvents": groupEvents,
        "writerEventsPerGroupTransaction": Double(groupEvents) / Double(max(1, groupTransactions)),
        "ledgerTransactionsPerExecution": "see concurrency.py (strace)",
        "ledgerFsyncsPerExecution": "see concurrency.py (strace)",
        // Through Engine.start each execution has its own registry, which the bench cannot see.
        "engineWatcherRounds": viaEngine ? -1 : calls.rounds,
        "engineLoneJobsGet": viaEngine ? -1 : calls.lone,
    ].merging(figures.json) { a, _ in a }
    let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    try? FileManager.default.removeItem(at: outputs)
}

do {
    try await main()
} catch {
    note("\(error)")
    exit(1)
}
