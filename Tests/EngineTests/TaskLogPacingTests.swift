import Clocks
import Foundation
import GoogleCloud
import Synchronization
import Templates
import Testing

@testable import Engine

/// Cloud Logging that has no entries, noting when (on the test's clock) each `entries.list` came.
private final class EmptyLogging: HTTPTransport {
    let clock: SteppingClock
    let calls = Mutex<[SteppingClock.Instant]>([])

    init(clock: SteppingClock) { self.clock = clock }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        calls.withLock { $0.append(clock.now) }
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data("{}".utf8))
    }

    func download(_ request: HTTPRequest, to file: URL) async throws -> HTTPResponse {
        throw TestFailure(description: "not used")
    }

    /// Seconds from the first call to each call.
    var offsets: [Double] {
        let times = calls.withLock { $0 }
        guard let first = times.first else { return [] }
        return times.map { first.duration(to: $0).seconds }
    }
}

@Suite struct TaskLogPacingTests {
    private func logs(perMinute: Int) -> (GoogleTaskLogs, EmptyLogging) {
        let clock = SteppingClock()
        let transport = EmptyLogging(clock: clock)
        let caller = APICaller(transport: transport, credentials: AnonymousCredentials(), clock: AnyClock(clock))
        let reader = BatchLogReader(
            client: LoggingClient(caller: caller, endpoint: URL(string: "http://logging.invalid")!), project: "p",
            budget: RequestBudget(perMinute: perMinute, clock: AnyClock(clock)))
        return (GoogleTaskLogs(reader: reader, clock: AnyClock(clock)), transport)
    }

    /// Reads asked back to back (jobs polling, or waiting for their last lines) are spread over the minute, one
    /// query every minute ÷ allowance, instead of spending the allowance at once and then waiting for it to come
    /// back (at 1,000 jobs: 55 reads in 30 s, then none for 28 s while finished jobs waited).
    @Test func readsAskedBackToBackAreSpacedToLastTheMinute() async throws {
        let (logs, transport) = logs(perMinute: 6)
        await logs.follow("job-1", after: .start)
        for _ in 0..<4 { _ = try await logs.next("job-1", masker: SecretMasker()) }
        #expect(transport.offsets == [0, 10, 20, 30])
    }

    /// A read whose jobs need several queries (their filter would pass Cloud Logging's limit) waits for as many
    /// shares of the allowance before the next read starts.
    @Test func aReadOfManyQueriesIsFollowedAfterAsManyShares() async throws {
        let (logs, transport) = logs(perMinute: 6)
        let uids = (0..<400).map { String(format: "%036d", $0) }
        for uid in uids { await logs.follow(uid, after: .start) }
        let queries = GoogleTaskLogs.queries(uids)
        #expect(queries == 2)
        _ = try await logs.next(uids[0], masker: SecretMasker())
        _ = try await logs.next(uids[0], masker: SecretMasker())
        #expect(transport.offsets == [0, 0, 20, 20])
    }
}
