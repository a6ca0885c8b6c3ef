import Clocks
import Foundation
import GoogleCloud

/// Watches many jobs of one location with few calls: while several jobs are watched, one `jobs.list` filtered on
/// a label answers for all of them in a round, and rounds start at most every `minimumInterval`, however many
/// jobs ask; a lone job is asked with `jobs.get`. Concurrent callers share the round that is in flight.
public actor BatchWatcher {
    let jobs: any BatchJobs
    let location: BatchLocation
    /// The label filter that selects the watched jobs.
    let filter: String
    let clock: AnyClock<Duration>
    let minimumInterval: Duration
    private var watched: Set<String> = []
    private var inFlight: Task<[String: JobObservation], Error>?
    private var lastRoundStart: AnyClock<Duration>.Instant?
    private var roundNumber = 0
    private var roundOf: [String: Int] = [:]
    /// Rounds (`jobs.list` walks) and lone `jobs.get` calls made, for benchmarks.
    public private(set) var rounds = 0
    public private(set) var loneCalls = 0

    public init(
        jobs: any BatchJobs, location: BatchLocation, filter: String, clock: AnyClock<Duration> = .continuous,
        minimumInterval: Duration = .zero
    ) {
        self.jobs = jobs
        self.location = location
        self.filter = filter
        self.clock = clock
        self.minimumInterval = minimumInterval
    }

    public func watch(_ jobName: String) {
        // A round in flight may have listed the location before this job was created: the job's first answer
        // comes from a round that starts after it is watched, not from that one (which would leave it to a lone
        // `jobs.get`, one per job created while a long round runs).
        if watched.insert(jobName).inserted, roundOf[jobName] == nil, inFlight != nil {
            roundOf[jobName] = roundNumber
        }
    }
    public func unwatch(_ jobName: String) {
        watched.remove(jobName)
        roundOf[jobName] = nil
    }

    /// The job as Batch reports it now, or nil when Batch does not know it.
    public func job(_ name: String) async throws -> JobObservation? {
        watch(name)
        if watched.count <= 2 {
            loneCalls += 1
            return try await jobs.job(name)
        }
        while true {
            // Join the round in flight only if it started after this caller's previous answer.
            let previous = roundOf[name] ?? -1
            if let inFlight, roundNumber > previous {
                let number = roundNumber
                let listed = try await inFlight.value
                roundOf[name] = number
                if let job = listed[name] { return job }
                loneCalls += 1
                return try await jobs.job(name)
            }
            if minimumInterval > .zero, let lastRoundStart, inFlight == nil {
                let due = lastRoundStart.advanced(by: minimumInterval)
                if clock.now < due {
                    // Too soon after the last round: wait for the next one (someone else may start it meanwhile).
                    try await clock.sleep(until: due)
                    continue
                }
            }
            if let round = inFlight {
                // A round this caller already had an answer from (or that started before it was watched): wait
                // for it to end, then start the next. Whoever sees the ended round first clears it, so that no
                // caller spins on a finished round before the one that started it has resumed.
                let number = roundNumber
                _ = try? await round.value
                if roundNumber == number { inFlight = nil }
                continue
            }
            return try await startRound(for: name)
        }
    }

    private func startRound(for name: String) async throws -> JobObservation? {
        roundNumber += 1
        rounds += 1
        let number = roundNumber
        lastRoundStart = clock.now
        let task = Task { [jobs, location, filter] in
            var byName: [String: JobObservation] = [:]
            for job in try await jobs.jobs(in: location, filter: filter) { byName[job.name] = job }
            return byName
        }
        inFlight = task
        defer { if roundNumber == number { inFlight = nil } }
        let listed = try await task.value
        roundOf[name] = number
        if let job = listed[name] { return job }
        // Not listed (just created, or gone): ask for it alone.
        loneCalls += 1
        return try await jobs.job(name)
    }
}
