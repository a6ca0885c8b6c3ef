// ledger-bench: the Swift side of the ledger benchmark (Tools/bench/ledger.sh), and a load generator that
// several processes can run against one ledger at once.
//
//   ledger-bench init PATH                        create an empty ledger (schema only)
//   ledger-bench single PATH N                    N durable appends of one event each
//   ledger-bench batched PATH B K                 B transactions of K events each
//   ledger-bench concurrent PATH S N              S streams appending at once, N events each, one event per
//                                                 async append (group commit on the writer thread)
//   ledger-bench populate PATH N                  N events in batches of 1,000 over 100 streams
//   ledger-bench scan PATH                        read every event and fold them (count by type, sum sizes)
//   ledger-bench append PATH WORKER BATCHES SIZE [GO]
//                                                 append BATCHES batches of SIZE events to stream "shared",
//                                                 once the file GO exists (a start line for several processes)
//   ledger-bench take PATH SCOPE PER_WINDOW WINDOW CALLS [GO]
//                                                 try CALLS times to take a call from the allowance SCOPE of
//                                                 PER_WINDOW calls in WINDOW seconds, once the file GO exists
//   ledger-bench pg-init URL                      create the ledger's schema in a PostgreSQL database
//   ledger-bench pg-single URL N                  N appends of one event each, one transaction per append
//   ledger-bench pg-batched URL B K               B transactions of K events each
//   ledger-bench pg-concurrent URL S N            S streams appending at once, N events each, one event per
//                                                 async append (the store is chosen in PostgresWorkloads.swift)
//   ledger-bench pg-verify URL                    recompute both chains of a PostgreSQL ledger
//
// Each workload prints one line: `<workload> <events> <seconds>`.
import Foundation
import Ledger

/// The payload every benchmark event carries, byte for byte the same as the C baseline's.
/// Built from fixed bytes and the index's digits, as the C side's `snprintf` does.
func payload(_ index: Int64) -> Data {
    var bytes = Data(capacity: payloadPrefix.count + 20 + payloadSuffix.count)
    bytes.append(contentsOf: payloadPrefix)
    bytes.append(contentsOf: String(index).utf8)
    bytes.append(contentsOf: payloadSuffix)
    return bytes
}
let payloadPrefix = Array("{\"attempt\":1,\"i\":".utf8)
let payloadSuffix = Array(
    (",\"jobName\":\"projects/bench/locations/us-central1/jobs/gcp-batch-runner-scrape-environment-info-a1\","
        + "\"newStatusEvents\":[],\"state\":\"RUNNING\",\"task\":\"scrape_environment_info\"}").utf8)

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ledger-bench: \(message)\n".utf8))
    exit(2)
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, arguments.count >= 2 else {
    fail(
        "usage: ledger-bench init|single|batched|concurrent|populate|scan|append|take PATH [ARGS]"
            + " | pg-init|pg-single|pg-batched|pg-concurrent|pg-verify URL [ARGS]")
}
let path = arguments[1]
func integer(_ index: Int) -> Int {
    guard arguments.count > index, let value = Int(arguments[index]), value > 0 else {
        fail("argument \(index) must be a positive integer")
    }
    return value
}

do {
    if command == "pg-init" {
        try await initPostgresLedger(url: path)
        exit(0)
    }
    if command == "pg-verify" {
        try await verifyPostgresLedger(url: path)
        exit(0)
    }
    if let workload = PostgresWorkload(rawValue: command) {
        try await runPostgres(workload, url: path, integer(2), workload == .single ? 1 : integer(3))
        exit(0)
    }
    let store = try EventStore(path: path)
    switch command {
    case "init":
        break
    case "single":
        let count = integer(2)
        let start = ContinuousClock.now
        for index in 0..<count {
            try store.append([NewEvent(type: "JobPolled", payload: payload(Int64(index)))], to: "bench")
        }
        print("single \(count) \(seconds(since: start))")
    case "concurrent":
        let streams = integer(2)
        let perStream = integer(3)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for stream in 0..<streams {
                // The same payloads as the C side's, which takes the streams in turn.
                let payloads = (0..<perStream).map { payload(Int64($0 * streams + stream)) }
                group.addTask {
                    for bytes in payloads {
                        try await store.append([NewEvent(type: "JobPolled", payload: bytes)], to: "bench-\(stream)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(since: start)
        let writer = store.writerStatistics
        print("concurrent \(streams * perStream) \(elapsed) transactions=\(writer.transactions)")
    case "batched", "populate":
        let batches: Int
        let size: Int
        if command == "batched" {
            (batches, size) = (integer(2), integer(3))
        } else {
            (batches, size) = ((integer(2) + 999) / 1000, 1000)
        }
        let start = ContinuousClock.now
        var index: Int64 = 0
        for batch in 0..<batches {
            var events: [NewEvent] = []
            events.reserveCapacity(size)
            for _ in 0..<size {
                events.append(NewEvent(type: "JobPolled", payload: payload(index)))
                index += 1
            }
            let stream = command == "batched" ? "bench" : "execution-\(batch % 100)"
            try store.append(events, to: stream)
        }
        print("\(command) \(index) \(seconds(since: start))")
    case "scan":
        let start = ContinuousClock.now
        var countsByType: [String: Int] = [:]
        var payloadBytes = 0
        var events = 0
        try store.readAll { event in
            countsByType[event.type, default: 0] += 1
            payloadBytes += event.payload.count
            events += 1
        }
        print("scan \(events) \(seconds(since: start)) bytes=\(payloadBytes) types=\(countsByType.count)")
    case "append":
        let worker = integer(2)
        let batches = integer(3)
        let size = integer(4)
        if arguments.count > 5 {
            let deadline = ContinuousClock.now + .seconds(30)
            while !FileManager.default.fileExists(atPath: arguments[5]) {
                guard ContinuousClock.now < deadline else { fail("start file \(arguments[5]) never appeared") }
                usleep(1000)
            }
        }
        for batch in 0..<batches {
            let events = try (0..<size).map { index in
                try NewEvent(
                    type: "WorkerAppended",
                    encoding: ["worker": worker, "batch": batch, "index": index])
            }
            try store.append(events, to: "shared")
            // Leave the lock free for a moment, as a real writer between steps does; SQLite's busy handler
            // sleeps, so a writer in a tight loop would hold the others off until it finishes.
            usleep(2000)
        }
        print("append \(batches * size) worker=\(worker)")
    case "take":
        guard arguments.count > 2 else { fail("argument 2 must name the allowance") }
        let scope = arguments[2]
        let perWindow = integer(3)
        let window = integer(4)
        let calls = integer(5)
        if arguments.count > 6 {
            let deadline = ContinuousClock.now + .seconds(30)
            while !FileManager.default.fileExists(atPath: arguments[6]) {
                guard ContinuousClock.now < deadline else { fail("start file \(arguments[6]) never appeared") }
                usleep(1000)
            }
        }
        var granted = 0
        for _ in 0..<calls {
            if try await store.takeRequest(from: scope, perMinute: perWindow, window: .seconds(window)) == nil {
                granted += 1
            }
        }
        print("take \(granted) refused=\(calls - granted)")
    default:
        fail("unknown workload \(command)")
    }
} catch {
    fail("\(error)")
}
