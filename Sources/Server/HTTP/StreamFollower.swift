import Engine
import Hummingbird
import Ledger
import NIOCore
import ServiceLifecycle

/// Follows one execution's stream while it grows, whoever appends to it: this process, or another process on the
/// same ledger file. Each `interval` on `clock` it reads the stream's version (one short read; no read
/// transaction is held across a wait), and when the version moved it folds the new events into the
/// `ExecutionRecord` and hands the record to the caller, who says what to send.
///
/// It stops after sending what the record looked like once the execution is terminal, when the server shuts down
/// gracefully, or when the task is cancelled; a write that fails (the client went away) ends it with that error.
/// A stream with nothing to send gets a comment line every `heartbeat`, which keeps proxies from closing it and
/// shows when a client went away while nothing happened.
struct StreamFollower: Sendable {
    let store: EventStore
    let executionId: String
    let clock: any Clock<Duration>
    let interval: Duration
    let heartbeat: Duration

    /// The stream as the ledger has it now: its record and version; `notFound` when the execution has no event.
    func start() throws -> (record: ExecutionRecord, version: Int64) {
        guard ExecutionID.isValid(executionId) else {
            throw APIError.notFound("no execution \(MessageQuote.quoted(executionId))")
        }
        var record = ExecutionRecord()
        let version = try fold(into: &record, after: 0)
        guard version > 0 else { throw APIError.notFound("no execution \(MessageQuote.quoted(executionId))") }
        return (record, version)
    }

    /// Writes `messages(record)` for the record as it is, then again after each change, until one of the ends
    /// above. The caller finishes the response.
    func follow(
        _ record: ExecutionRecord, version: Int64, into writer: inout any ResponseBodyWriter,
        messages: (ExecutionRecord) throws -> [ByteBuffer]
    ) async throws {
        var record = record
        var version = version
        let heartbeatTicks = max(1, Int((heartbeat / interval).rounded(.down)))
        var idleTicks = 0
        while true {
            for message in try messages(record) {
                try await writer.write(message)
                idleTicks = 0
            }
            if record.state.isTerminal { return }
            // Wait for the stream to move.
            while true {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                do {
                    try await clock.sleep(for: interval)
                } catch is CancellationError {
                    return
                }
                if Task.isShuttingDownGracefully { return }
                // Counted whether or not the stream moved: events that make no message leave the stream silent.
                idleTicks += 1
                if idleTicks >= heartbeatTicks {
                    try await writer.write(ServerSentEvents.heartbeat)
                    idleTicks = 0
                }
                if try store.currentVersion(of: executionId) > version { break }
            }
            version = try fold(into: &record, after: version)
        }
    }

    /// Folds the events after `version` into `record`; returns the new version.
    private func fold(into record: inout ExecutionRecord, after version: Int64) throws -> Int64 {
        // Read first, fold after: the read transaction ends before anything else happens.
        var fresh: [RecordedEvent] = []
        try store.readStream(executionId, fromVersion: version + 1) { fresh.append($0) }
        for event in fresh { try record.apply(event) }
        return fresh.last?.version ?? version
    }
}
