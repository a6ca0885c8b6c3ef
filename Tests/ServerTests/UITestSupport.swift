import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ledger
import NIOCore
import Server

@testable import Engine

/// A server with the web UI over `store`.
func uiServer(_ store: EventStore, tokens: APITokens? = nil, sessions: UISessions = UISessions()) -> KestraServer {
    KestraServer(
        responder: KestraResponder(
            routes: [HistoryAPI(store: store)], tokens: tokens,
            pages: WebUI(store: store, tokens: tokens, sessions: sessions)))
}

/// Sends one request (with a body, for forms) and reads the whole answer.
func send(
    _ server: KestraServer, _ uri: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:],
    body: String? = nil
) async throws -> Answer {
    try await server.application().test(.router) { client in
        try await client.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }
        ) { response in
            let data = Data(buffer: response.body)
            return Answer(
                status: response.status, headers: response.headers,
                json: try? JSONSerialization.jsonObject(with: data), text: String(decoding: data, as: UTF8.self))
        }
    }
}

extension Answer {
    /// The value of the page's `<meta name="csrf-token">`.
    var csrfToken: String? {
        guard let range = text.range(of: #"<meta name="csrf-token" content="([^"]*)">"#, options: .regularExpression)
        else { return nil }
        return String(text[range].dropFirst(#"<meta name="csrf-token" content=""#.count).dropLast(2))
    }

    /// The `data-execution-id` of each row, in order.
    var rowIds: [String] {
        text.components(separatedBy: "<tr data-execution-id=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    /// The status as a number.
    var code: Int { status.code }
}

/// A ledger in a temporary folder with executions made by the test, recorded at times it sets.
final class UILedger {
    let folder: URL
    let store: EventStore
    let time: LedgerTime

    /// True when the ledger is in a temporary folder of its own, removed with it.
    private let temporary: Bool

    /// A ledger at `path`, or in a new temporary folder.
    init(path: String? = nil) throws {
        temporary = path == nil
        folder =
            path.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("ui-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let time = LedgerTime(Date(timeIntervalSince1970: 1_735_689_600))
        self.time = time
        store = try EventStore(
            path: path ?? folder.appendingPathComponent("ledger.db").path,
            options: .init(
                projections: [ProjectionRegistration(ExecutionSummaryProjection.self)],
                clock: { time.current.withLock { $0 } }, durable: false))
    }

    deinit { if temporary { try? FileManager.default.removeItem(at: folder) } }

    func advance(_ seconds: TimeInterval) { time.current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    func append(_ id: String, _ events: [ExecutionEvent]) throws {
        try store.append(events.map { try $0.encoded() }, to: id)
    }

    static func started(
        _ id: String, namespace: String = "company.team", flow: String = "hello", labels: [String: String] = [:]
    ) -> ExecutionEvent {
        guard case .executionStarted(var started) = Make.started(labels: labels, inputs: [:]) else {
            fatalError("Make.started changed")
        }
        started.executionId = id
        started.namespace = namespace
        started.flowId = flow
        return .executionStarted(started)
    }

    static func attempt(
        _ run: String, task: String = "t", attempt: Int = 1, value: String? = nil, provisioning: String = "SPOT"
    ) -> ExecutionEvent {
        .attemptStarted(
            AttemptStarted(
                taskRunId: run, taskId: task, value: value, attempt: attempt, workingDirId: "wd-\(run)-\(attempt)",
                jobId: "job-\(run)-a\(attempt)", requestId: "req-\(run)-\(attempt)", project: "p", projectSecret: nil,
                region: "r", bucket: "b", bucketSecret: nil, provisioningModel: provisioning))
    }

    /// A spot attempt that Batch preempted (exit 50001), to be retried.
    static func preempted(_ run: String, attempt: Int = 1) -> [ExecutionEvent] {
        [
            .exitCodeObserved(ExitCodeObserved(taskRunId: run, attempt: attempt, exitCode: 50001, meaning: nil)),
            .taskFailed(
                TaskFailed(
                    taskRunId: run, attempt: attempt, reason: "the VM was preempted", exitCode: 50001, willRetry: true,
                    allowed: false)),
        ]
    }

    /// `count` executions, one a minute, of five flows, most succeeded, every seventh failed, the last running;
    /// each with `runs` task runs.
    func fillMany(_ count: Int, runs: Int = 3) throws {
        for index in 0..<count {
            let id = String(format: "exec-%05d", index)
            var events = [
                Self.started(id, flow: "flow\(index % 5)", labels: ["batch": String(index / 100)])
            ]
            for run in 0..<runs {
                events += [Self.attempt("\(id)-r\(run)", task: "task\(run)"), Make.exit("\(id)-r\(run)", code: 0)]
                events.append(
                    index % 7 == 3 && run == runs - 1
                        ? Make.failed("\(id)-r\(run)", willRetry: false) : Make.succeeded("\(id)-r\(run)"))
            }
            if index < count - 1 { events.append(Make.finished(index % 7 == 3 ? .failed : .succeeded)) }
            try append(id, events)
            advance(60)
        }
    }
}
