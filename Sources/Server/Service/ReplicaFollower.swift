import Engine
import Foundation
import Ledger
import ServiceLifecycle

/// What a `serve` replica does beside the others on one shared ledger (PostgreSQL): it brings its cache up to what
/// the other replicas wrote, so that its API and UI answer for every execution whoever drives it, and it takes
/// over the executions whose driver died (their lease expired), so that none stays unfinished while any replica
/// runs. Each execution stays driven by one replica at a time: a takeover first takes the execution's lease, and
/// the replica that held it finds its next write refused by the lease's fencing token.
public final class ReplicaFollower: Service, Sendable {
    let store: EventStore
    let host: ExecutionHost
    let clock: any Clock<Duration>
    /// How often the cache catches up.
    let interval: Duration
    /// How many catch-ups between two looks for executions no live replica drives.
    let takeoverEvery: Int

    public init(
        store: EventStore, host: ExecutionHost, clock: any Clock<Duration> = ContinuousClock(),
        interval: Duration = .milliseconds(250), takeoverEvery: Int = 8
    ) {
        self.store = store
        self.host = host
        self.clock = clock
        self.interval = interval
        self.takeoverEvery = max(1, takeoverEvery)
    }

    public func run() async throws {
        // A lease is taken over only once the ledger has answered every catch-up for its holder's TTL: after an
        // outage every lease looks expired by the database's clock, and the replica that drives it needs up to
        // its own TTL to renew it.
        await cancelWhenGracefulShutdown {
            var beats = 0
            var answeredInARow = 0
            var lastProblem: String?
            while !Task.isCancelled {
                do {
                    try await self.clock.sleep(for: self.interval)
                } catch {
                    return
                }
                beats += 1
                let problem = await self.beat(
                    takeOver: beats % self.takeoverEvery == 0,
                    ledgerAnsweredFor: Double(answeredInARow) * self.interval.seconds)
                answeredInARow = problem == nil ? answeredInARow + 1 : 0
                if let problem, problem != lastProblem {
                    FileHandle.standardError.write(Data("batchledger serve: shared ledger: \(problem)\n".utf8))
                }
                lastProblem = problem
            }
        }
    }

    /// One catch-up, and with `takeOver` one look for executions to take over (those whose holder's TTL is
    /// at most `ledgerAnsweredFor` seconds, how long the ledger had answered before this catch-up); the problem
    /// met, if any.
    func beat(takeOver: Bool, ledgerAnsweredFor: Double) async -> String? {
        let store = store
        do {
            try await BlockingWork.run { try store.catchUp() }
            if takeOver {
                // Reading the leases waits on the ledger of record: off the cooperative threads, like the catch-up.
                let host = host
                _ = try await BlockingWork.run { try host.takeOverOrphans(ledgerAnsweredFor: ledgerAnsweredFor) }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }
}

extension Duration {
    /// The duration in seconds.
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
