import Clocks
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore
import Server
import ServiceLifecycleTestKit
import Testing

@testable import Engine

@Suite("Following an execution and its logs as server-sent events")
struct FollowAPITests {
    let ledger: HistoryLedger
    let server: KestraServer

    init() throws {
        ledger = try HistoryLedger()
        server = KestraServer(store: ledger.store, tokens: nil)
    }

    @Test("a finished execution: one message with its final state, then the stream ends")
    func finishedExecution() async throws {
        let answer = try await ask(server, "/api/v1/main/executions/exec-1/follow")
        #expect(answer.status == .ok)
        #expect(answer.headers[.contentType] == "text/event-stream")
        let messages = SSE.messages(answer.text)
        #expect(messages.count == 1, "\(answer.text)")
        #expect(messages.first?["id"] as? String == "exec-1")
        #expect((messages.first?["state"] as? [String: Any])?["current"] as? String == "SUCCESS")
    }

    @Test("logs of a finished execution: each recorded line, filtered as logs/{id} filters, then the end")
    func finishedLogs() async throws {
        let all = SSE.messages(try await ask(server, "/api/v1/main/logs/exec-1/follow").text)
        #expect(all.map { $0["message"] as? String } == ["hello out", "a warning on stderr"])
        #expect(all.allSatisfy { $0["executionId"] as? String == "exec-1" && $0["taskId"] as? String == "t" })
        let errors = SSE.messages(try await ask(server, "/api/v1/main/logs/exec-1/follow?minLevel=ERROR").text)
        #expect(errors.map { $0["message"] as? String } == ["a warning on stderr"])
        #expect(SSE.messages(try await ask(server, "/api/v1/main/logs/exec-1/follow?taskId=other").text).isEmpty)
    }

    @Test("an unknown execution or a bad filter is refused in Kestra's error shape before any stream")
    func refusals() async throws {
        for uri in [
            "/api/v1/main/executions/nope/follow", "/api/v1/main/logs/nope/follow",
            "/api/v1/main/executions/flow%2Fcompany.team%2Fhello/follow",
        ] {
            let answer = try await ask(server, uri)
            #expect(answer.status == .notFound, "\(uri)")
            #expect(answer.headers[.contentType] == "application/json")
            #expect(((answer.json as? [String: Any])?["message"] as? String)?.contains("no execution") == true)
        }
        for query in ["minLevel=LOUD", "attempt=-1", "attempt=x"] {
            let answer = try await ask(server, "/api/v1/main/logs/exec-1/follow?\(query)")
            #expect(answer.status == .badRequest, "\(query)")
        }
    }

    @Test(
        "a running execution: its state at once, an update when events are appended (by this connection or another process's), the end after the terminal state",
        arguments: [false, true])
    func runningExecution(anotherProcess: Bool) async throws {
        let clock = TestClock()
        // `serve` opens the ledger read-only; the events come from a writer that is either the same store or
        // another store on the same file, as another process's would.
        let reader = anotherProcess ? try ledger.readOnlyStore() : ledger.store
        let follow = FollowAPI(store: reader, clock: clock)
        let stream = try await Following(follow, "/api/v1/main/executions/exec-3/follow")
        let first = try #require(await stream.nextMessage())
        #expect(SSE.state(first) == "RUNNING" && SSE.taskRuns(first) == ["RUNNING"])

        // Log lines change nothing the execution shows: no message for them.
        await clock.sleeper()
        try ledger.append("exec-3", [Make.lines("t", [("INFO", false, "working")])])
        await clock.advance(by: .milliseconds(250))
        await clock.sleeper()
        try ledger.append("exec-3", [Make.exit("t", code: 0)])
        await clock.advance(by: .milliseconds(250))
        let second = try #require(await stream.nextMessage())
        #expect(SSE.state(second) == "RUNNING")
        let run = try #require((second["taskRunList"] as? [[String: Any]])?.first)
        #expect((run["outputs"] as? [String: Any])?["exitCode"] as? Int == 0, "\(run)")

        await clock.sleeper()
        try ledger.append("exec-3", [Make.succeeded("t"), Make.finished(.succeeded)])
        await clock.advance(by: .milliseconds(250))
        let last = try #require(await stream.nextMessage())
        #expect(SSE.state(last) == "SUCCESS" && SSE.taskRuns(last) == ["SUCCESS"])
        #expect(await stream.nextMessage() == nil)
        #expect(await stream.finished)
    }

    @Test("no change, no message: a poll that finds the same version sends nothing but a comment now and then")
    func idleStream() async throws {
        let clock = TestClock()
        let follow = FollowAPI(store: ledger.store, clock: clock, interval: .seconds(1), heartbeat: .seconds(2))
        let stream = try await Following(follow, "/api/v1/main/executions/exec-3/follow")
        _ = try #require(await stream.nextMessage())
        await clock.sleeper()
        await clock.advance(by: .seconds(1))
        await clock.sleeper()
        await clock.advance(by: .seconds(1))
        #expect(await stream.nextPiece() == ":\n\n")
        await clock.sleeper()
        try ledger.append("exec-3", [Make.cancelled("t"), Make.finished(.cancelled)])
        await clock.advance(by: .seconds(1))
        #expect(SSE.state(try #require(await stream.nextMessage())) == "KILLED")
        #expect(await stream.nextMessage() == nil)
    }

    @Test("logs of a running execution: the recorded lines, then each new one, then the end at the terminal state")
    func runningLogs() async throws {
        let clock = TestClock()
        let reader = try ledger.readOnlyStore()
        try ledger.append("exec-3", [Make.lines("t", [("INFO", false, "one"), ("DEBUG", false, "noise")])])
        let follow = FollowAPI(store: reader, clock: clock)
        let stream = try await Following(follow, "/api/v1/main/logs/exec-3/follow?minLevel=INFO")
        #expect(try #require(await stream.nextMessage())["message"] as? String == "one")
        await clock.sleeper()
        try ledger.append("exec-3", [Make.lines("t", [("ERROR", true, "two"), ("INFO", false, "three")])])
        await clock.advance(by: .milliseconds(250))
        #expect(try #require(await stream.nextMessage())["message"] as? String == "two")
        #expect(try #require(await stream.nextMessage())["message"] as? String == "three")
        await clock.sleeper()
        try ledger.append(
            "exec-3", [Make.lines("t", [("INFO", false, "four")]), Make.succeeded("t"), Make.finished(.succeeded)])
        await clock.advance(by: .milliseconds(250))
        let last = try #require(await stream.nextMessage())
        #expect(last["message"] as? String == "four" && last["executionId"] as? String == "exec-3")
        #expect(await stream.nextMessage() == nil)
        #expect(await stream.finished)
    }

    @Test("a client that goes away (its task cancelled) ends the stream without waiting for the execution")
    func cancelled() async throws {
        let clock = TestClock()
        let stream = try await Following(
            FollowAPI(store: ledger.store, clock: clock), "/api/v1/main/executions/exec-3/follow")
        _ = try #require(await stream.nextMessage())
        await clock.sleeper()
        stream.task.cancel()
        _ = await stream.task.result
        #expect(await stream.nextMessage() == nil)
    }

    @Test("the server shutting down gracefully ends an open stream cleanly")
    func gracefulShutdown() async throws {
        let clock = TestClock()
        let follow = FollowAPI(store: ledger.store, clock: clock)
        try await testGracefulShutdown { trigger in
            let stream = try await Following(follow, "/api/v1/main/executions/exec-3/follow")
            _ = try #require(await stream.nextMessage())
            await clock.sleeper()
            trigger.triggerGracefulShutdown()
            await clock.advance(by: .milliseconds(250))
            #expect(await stream.nextMessage() == nil)
            #expect(await stream.finished)
        }
    }
}

extension HistoryLedger {
    /// The ledger opened again, read-only, as `serve` opens it: a connection of its own, like another process's.
    func readOnlyStore() throws -> EventStore {
        try EventStore(path: store.path, options: .init(readOnly: true))
    }
}

/// A follow response written to a recording writer in a task of its own, read piece by piece.
final class Following {
    let task: Task<Void, any Error>
    private var pieces: AsyncStream<RecordingWriter.Piece>.Iterator
    private var sawFinish = false

    /// Asks `routes` for `uri` (a GET) and starts writing the answer's body.
    init(_ routes: some APIRoutes, _ uri: String) async throws {
        let parts = uri.split(separator: "?", maxSplits: 1).map(String.init)
        let request = try #require(APIRequest(method: "GET", path: parts[0], query: parts.count > 1 ? parts[1] : nil))
        let call = APICall(
            request: request, route: Array(request.segments.dropFirst(3)), headers: [:], body: ByteBuffer(),
            caller: nil)
        let response = try #require(try await routes.respond(to: call))
        #expect(response.status == .ok)
        let (stream, continuation) = AsyncStream.makeStream(of: RecordingWriter.Piece.self)
        pieces = stream.makeAsyncIterator()
        task = Task {
            defer { continuation.finish() }
            try await response.body.write(RecordingWriter(continuation: continuation))
        }
    }

    private func next() async -> RecordingWriter.Piece? {
        let piece = await pieces.next()
        if case .finished? = piece { sawFinish = true }
        return piece
    }

    /// The next piece of text written, nil at the end.
    func nextPiece() async -> String? {
        guard case .bytes(let text)? = await next() else { return nil }
        return text
    }

    /// The next `data:` message's JSON object (comments skipped), nil at the end.
    func nextMessage() async -> [String: Any]? {
        while let piece = await nextPiece() {
            if let message = SSE.messages(piece).first { return message }
        }
        return nil
    }

    /// Whether the response was finished (`finish` called); reads to the end.
    var finished: Bool {
        get async {
            while await next() != nil {}
            return sawFinish
        }
    }
}

/// A response body writer that hands each write to a stream.
struct RecordingWriter: ResponseBodyWriter {
    enum Piece: Sendable {
        case bytes(String)
        case finished
    }

    let continuation: AsyncStream<Piece>.Continuation

    mutating func write(_ buffer: ByteBuffer) async throws {
        continuation.yield(.bytes(String(buffer: buffer)))
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        continuation.yield(.finished)
        continuation.finish()
    }
}

/// Reading server-sent events as kestrapy's sseclient does: messages split by blank lines, `data:` lines joined.
enum SSE {
    static func messages(_ text: String) -> [[String: Any]] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let data = block.split(separator: "\n").filter { $0.hasPrefix("data:") }
                .map { String($0.dropFirst(5).drop(while: { $0 == " " })) }.joined(separator: "\n")
            guard !data.isEmpty else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]
        }
    }

    static func state(_ execution: [String: Any]) -> String? {
        (execution["state"] as? [String: Any])?["current"] as? String
    }

    static func taskRuns(_ execution: [String: Any]) -> [String] {
        (execution["taskRunList"] as? [[String: Any]] ?? []).compactMap {
            ($0["state"] as? [String: Any])?["current"] as? String
        }
    }
}

extension TestClock<Duration> {
    /// Returns once something sleeps on the clock (the follower waiting for its next poll).
    func sleeper() async {
        while (try? await checkSuspension()) != nil {
            await Task.yield()
        }
    }
}
