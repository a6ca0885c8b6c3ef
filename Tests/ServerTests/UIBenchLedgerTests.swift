import Foundation
import Ledger
import Server
import Testing

@testable import Engine

/// Writes the ledger that `Tools/conformance/ui_selenium.py` measures the UI on, when `BATCHLEDGER_UI_LEDGER` names
/// a file to create: 1,000 executions of five flows, one ForEach execution with 1,000 task runs (every tenth spot
/// attempt preempted and retried on a standard VM, two log lines per attempt) and one execution whose label,
/// task id and log line are HTML. Its ids go to the same path with `.json` appended. Without the variable, a
/// smaller ledger of the same shape is built and checked.
@Suite struct UIBenchLedgerTests {
    static let wideId = "wide-foreach"
    static let hostileId = "hostile-values"
    static let hostile = "<img src=x onerror=\"document.title='owned'\"><script>document.title='owned'</script>"

    /// Fills `ledger`: `executions` small executions, one ForEach of `iterations` task runs, one hostile one.
    static func fill(_ ledger: UILedger, executions: Int, iterations: Int) throws {
        try ledger.fillMany(executions)
        try fillWide(ledger, iterations: iterations)
        try ledger.append(
            hostileId,
            [
                UILedger.started(hostileId, flow: "hostile", labels: ["note": hostile]),
                UILedger.attempt("h1", task: "task<script>document.title='owned'</script>"),
                Make.lines("h1", [("INFO", false, hostile), ("ERROR", true, "second line")]),
                Make.exit("h1", code: 0), Make.succeeded("h1"), Make.finished(.succeeded),
            ])
    }

    /// One execution of a ForEach over `iterations` values, 25 at a time, each 20 to 40 seconds; every tenth
    /// iteration's spot VM is preempted half-way and the iteration retried on a standard VM.
    static func fillWide(_ ledger: UILedger, iterations: Int) throws {
        var steps: [(time: Double, order: Int, events: [ExecutionEvent])] = []
        for index in 0..<iterations {
            let run = "each_\(index)"
            let value = "region-\(index)"
            let start = Double(index / 25) * 45 + Double(index % 25) * 0.4
            let length = 20 + Double((index * 7) % 21)
            if index % 10 == 9 {
                steps.append((start, index, [UILedger.attempt(run, task: "probe", value: value)]))
                steps.append(
                    (
                        start + length / 2, index,
                        [Make.lines(run, [("INFO", false, "probing \(value)")])]
                            + UILedger.preempted(run)
                    ))
                steps.append(
                    (
                        start + length / 2 + 1, index,
                        [
                            UILedger.attempt(run, task: "probe", attempt: 2, value: value, provisioning: "STANDARD")
                        ]
                    ))
                steps.append(
                    (
                        start + length * 1.5, index,
                        [
                            Make.lines(run, attempt: 2, [("INFO", false, "probing \(value) again")]),
                            Make.exit(run, attempt: 2, code: 0), Make.succeeded(run, attempt: 2),
                        ]
                    ))
            } else {
                steps.append((start, index, [UILedger.attempt(run, task: "probe", value: value)]))
                steps.append(
                    (
                        start + length, index,
                        [
                            Make.lines(run, [("INFO", false, "probing \(value)"), ("INFO", false, "done \(value)")]),
                            Make.exit(run, code: index % 97 == 50 ? 1 : 0),
                            index % 97 == 50 ? Make.failed(run, willRetry: false) : Make.succeeded(run),
                        ]
                    ))
            }
        }
        steps.sort { ($0.time, $0.order) < ($1.time, $1.order) }
        let origin = ledger.time.current.withLock { $0 }
        try ledger.append(wideId, [UILedger.started(wideId, flow: "foreach_fanout", labels: ["size": "\(iterations)"])])
        for step in steps {
            ledger.time.current.withLock { $0 = origin.addingTimeInterval(step.time) }
            try ledger.append(wideId, step.events)
        }
        ledger.time.current.withLock { $0 = $0.addingTimeInterval(1) }
        let failed = (0..<iterations).contains { $0 % 97 == 50 && $0 % 10 != 9 }
        try ledger.append(wideId, [Make.finished(failed ? .failed : .succeeded)])
    }

    @Test("the bench ledger: written for the browser test when asked, otherwise a small one is checked")
    func benchLedger() async throws {
        if let path = ProcessInfo.processInfo.environment["BATCHLEDGER_UI_LEDGER"] {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            try Self.fill(try UILedger(path: path), executions: 1_000, iterations: 1_000)
            let ids: [String: Any] = [
                "wide": Self.wideId, "hostile": Self.hostileId, "executions": 1_002, "wideTaskRuns": 1_000,
            ]
            try JSONSerialization.data(withJSONObject: ids).write(to: URL(fileURLWithPath: path + ".json"))
            return
        }
        let ledger = try UILedger()
        try Self.fill(ledger, executions: 20, iterations: 60)
        let server = uiServer(ledger.store)
        let timeline = try #require(
            try await send(server, "/ui/executions/\(Self.wideId)/timeline.json").json as? [String: Any])
        let runs = try #require(timeline["taskRuns"] as? [[String: Any]])
        #expect(runs.count == 60 && timeline["state"] as? String == "FAILED")
        let preempted = runs.flatMap { $0["attempts"] as? [[String: Any]] ?? [] }.filter {
            $0["preempted"] as? Bool == true
        }
        #expect(preempted.count == 6)
        let list = try await send(server, "/ui/")
        #expect(list.rowIds.count == 22 && list.rowIds.contains(Self.wideId) && list.rowIds.contains(Self.hostileId))
        #expect(!list.text.contains("<script>document") && !list.text.contains("<img src=x"))
    }
}
