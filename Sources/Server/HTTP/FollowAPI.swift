import Engine
import Foundation
import Hummingbird
import Ledger
import NIOCore

/// Kestra's follow routes, as server-sent events that its SDK (`follow_execution`, `follow_logs_from_execution`)
/// reads:
///
/// - `GET executions/{id}/follow`: the execution (Kestra's `Execution` JSON) at once, then again each time its
///   stream gets new events that change what Kestra shows of it (states, task runs, attempts, outputs); the
///   stream ends after the execution's terminal state was sent.
/// - `GET logs/{id}/follow`: each log line (Kestra's `LogEntry`), first those already recorded, then each new one
///   as it is recorded, with the filters of `logs/{id}` (`minLevel`, `taskId`, `taskRunId`, `attempt`); the
///   stream ends once the execution is terminal and all its lines were sent.
///
/// An unknown execution or a bad filter is refused (404, 400) before the stream starts. Changes are found by
/// polling the stream's version on `clock` (see `StreamFollower`), so events appended by another process on the
/// same ledger file are followed as well as this process's own.
public struct FollowAPI: APIRoutes {
    public let store: EventStore

    public static let operations = [
        APIOperation("GET", "/executions/{executionId}/follow"), APIOperation("GET", "/logs/{executionId}/follow"),
    ]

    public let clock: any Clock<Duration>
    /// How often the stream's version is read.
    public let interval: Duration
    /// How long a stream may stay silent before a comment line is sent.
    public let heartbeat: Duration
    /// The time a state that has not ended ends at, in Kestra's `getEndDate`.
    public let now: @Sendable () -> Timestamp

    public init(
        store: EventStore, clock: any Clock<Duration> = ContinuousClock(), interval: Duration = .milliseconds(250),
        heartbeat: Duration = .seconds(15), now: @escaping @Sendable () -> Timestamp = { Timestamp(Date()) }
    ) {
        self.store = store
        self.clock = clock
        self.interval = interval
        self.heartbeat = heartbeat
        self.now = now
    }

    public func respond(to call: APICall) async throws -> Response? {
        guard call.method == "GET", call.route.count == 3, call.route[2] == "follow" else { return nil }
        switch call.route[0] {
        case "executions":
            return try followExecution(call.route[1])
        case "logs":
            return try followLogs(call.route[1], filter: try HistoryAPI.logFilter(call.request))
        default:
            return nil
        }
    }

    private func follower(_ id: String) -> StreamFollower {
        StreamFollower(store: store, executionId: id, clock: clock, interval: interval, heartbeat: heartbeat)
    }

    /// The execution, then each change of it.
    func followExecution(_ id: String) throws -> Response {
        let follower = follower(id)
        let (record, version) = try follower.start()
        let now = now
        return Response(
            status: .ok, headers: ServerSentEvents.headers,
            body: ResponseBody { writer in
                var sent: Kestra.Execution?
                try await follower.follow(record, version: version, into: &writer) { record in
                    // Events that change nothing Kestra shows (a job polled in the same state) send nothing; the
                    // comparison is made at a fixed time, as durations of running states change with `now`.
                    let shown = Kestra.Execution(record, now: Timestamp(seconds: 0, nanos: 0))
                    guard shown != sent else { return [] }
                    sent = shown
                    let execution = Kestra.Execution(record, now: now())
                    return [ServerSentEvents.message(try Kestra.encoder().encode(execution))]
                }
                try await writer.finish(nil)
            })
    }

    /// The log lines `filter` admits, those recorded first, then each new one.
    func followLogs(_ id: String, filter: Kestra.LogFilter) throws -> Response {
        let follower = follower(id)
        let (record, version) = try follower.start()
        return Response(
            status: .ok, headers: ServerSentEvents.headers,
            body: ResponseBody { writer in
                var sent = 0
                try await follower.follow(record, version: version, into: &writer) { record in
                    let encoder = Kestra.encoder()
                    var messages: [ByteBuffer] = []
                    for line in record.logLines[sent...] {
                        let entry = Kestra.LogEntry(line, of: record.state)
                        if filter.admits(entry) { messages.append(ServerSentEvents.message(try encoder.encode(entry))) }
                    }
                    sent = record.logLines.count
                    return messages
                }
                try await writer.finish(nil)
            })
    }
}
