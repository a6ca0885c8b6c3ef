import Foundation
import Ledger
import PostgresLedger

extension EventStore {
    /// Removes the bench's cache folder (the cache of the PostgreSQL ledger, begun for this run).
    func removeCache() {
        guard hasRecord else { return }
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}

/// The PostgreSQL workloads (`ledger-bench pg-*`).
enum PostgresWorkload: String {
    case single = "pg-single"
    case batched = "pg-batched"
    case concurrent = "pg-concurrent"

    /// The store each workload appends through: the one the engine writes through, whose writer commits groups
    /// of appends to PostgreSQL.
    func openLedger(url: String) throws -> EventStore {
        try PostgresLedgerStore.open(
            url: url,
            cacheFolder: FileManager.default.temporaryDirectory
                .appendingPathComponent("ledger-bench-cache-\(UUID().uuidString)").path)
    }
}

/// Creates the ledger's schema at `url` (what `init` is for a file).
func initPostgresLedger(url: String) async throws {
    try PostgresRecord.open(url: url).close()
}

/// Recomputes both chains of the ledger at `url`; prints what it checked and fails on the first problem.
func verifyPostgresLedger(url: String) async throws {
    let record = try PostgresRecord.open(url: url, readOnly: true, create: false)
    let report = try record.verify()
    record.close()
    guard report.isValid else {
        fail("the ledger does not verify: \(report.firstProblem.map { "\($0)" } ?? "anchor or triggers")")
    }
    print("verified \(report.eventsChecked) events in \(report.streamsChecked) streams, head \(report.head.seq)")
}

/// Runs `workload` against the ledger at `url` and prints `<workload> <events> <seconds> store=<type>`. The
/// payloads are the C baseline's: numbered in append order for one stream; event i of stream s carries i * S + s.
func runPostgres(_ workload: PostgresWorkload, url: String, _ first: Int, _ second: Int) async throws {
    let ledger = try workload.openLedger(url: url)
    let start = ContinuousClock.now
    let events: Int
    switch workload {
    case .single:
        for index in 0..<first {
            try await ledger.append([NewEvent(type: "JobPolled", payload: payload(Int64(index)))], to: "bench")
        }
        events = first
    case .batched:
        let (batches, size) = (first, second)
        for batch in 0..<batches {
            let batchEvents = (0..<size).map { index in
                NewEvent(type: "JobPolled", payload: payload(Int64(batch * size + index)))
            }
            try await ledger.append(batchEvents, to: "bench")
        }
        events = batches * size
    case .concurrent:
        let (streams, perStream) = (first, second)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for stream in 0..<streams {
                let payloads = (0..<perStream).map { payload(Int64($0 * streams + stream)) }
                group.addTask {
                    for bytes in payloads {
                        let event = NewEvent(type: "JobPolled", payload: bytes)
                        try await ledger.append([event], to: "bench-\(stream)")
                    }
                }
            }
            try await group.waitForAll()
        }
        events = streams * perStream
    }
    let elapsed = seconds(since: start)
    ledger.removeCache()
    print("\(workload.rawValue) \(events) \(elapsed) store=\(type(of: ledger))")
}
