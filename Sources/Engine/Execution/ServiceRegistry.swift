import Clocks
import Foundation
import GoogleCloud
import Ledger

/// The outside world of one execution, or of every execution of a process (recovery, a server): per identity,
/// the world's services, one job watcher per location and one task-log source per project, so that many jobs
/// are watched with few calls.
public actor ServiceRegistry {
    let world: any CloudWorld
    let clock: AnyClock<Duration>
    let timing: Timing
    /// The `jobs.list` filter of the watchers: one execution's label, or every BatchLedger job's.
    let watchFilter: String
    /// The attempts of this registry's executions that stage and create jobs at once.
    let staging = StagingGate()
    private var watchers: [String: BatchWatcher] = [:]

    /// Services for one execution.
    init(world: any CloudWorld, timing: Timing, clock: AnyClock<Duration>, executionLabel: String) {
        self.world = world
        self.timing = timing
        self.clock = clock
        watchFilter = "labels.batchledger-execution=\"\(executionLabel)\""
    }

    /// Services shared by several executions (recovery, a server): watchers list every BatchLedger job, one
    /// round per location for all of them.
    public init(sharedBy world: any CloudWorld, timing: Timing, clock: AnyClock<Duration> = .continuous) {
        self.world = world
        self.timing = timing
        self.clock = clock
        watchFilter = "labels.\(Naming.managedLabel)=\"\(Naming.managedValue)\""
    }

    /// The services for tasks that run as `identity`.
    func services(for identity: Identity) async throws -> WorldServices {
        try await world.services(for: identity)
    }

    func watcher(_ services: WorldServices, location: BatchLocation) -> BatchWatcher {
        let id = services.key + "|" + location.description
        if let existing = watchers[id] { return existing }
        let watcher = BatchWatcher(
            jobs: services.jobs, location: location, filter: watchFilter, clock: clock,
            minimumInterval: timing.minimumRoundInterval)
        watchers[id] = watcher
        return watcher
    }

    /// Calls made by this registry's watchers so far: `jobs.list` rounds and lone `jobs.get` calls.
    public func watcherCalls() async -> (rounds: Int, lone: Int) {
        var rounds = 0
        var lone = 0
        for watcher in watchers.values {
            rounds += await watcher.rounds
            lone += await watcher.loneCalls
        }
        return (rounds, lone)
    }
}
