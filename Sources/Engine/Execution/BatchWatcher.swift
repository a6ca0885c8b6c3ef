import Foundation
import GoogleCloud

/// Watches many jobs of one location with few calls: while several jobs of the same execution run, one
/// `jobs.list` filtered on the execution's label answers for all of them in a round; a lone job is asked with
/// `jobs.get`. Concurrent callers share the round that is in flight.
public actor BatchWatcher {
    let client: BatchClient
    let location: BatchLocation
    /// The label filter that selects this execution's jobs.
    let filter: String
    private var watched: Set<String> = []
    private var inFlight: Task<[String: BatchJob], Error>?
    private var lastRound: [String: BatchJob] = [:]
    private var roundNumber = 0
    private var roundOf: [String: Int] = [:]

    public init(client: BatchClient, location: BatchLocation, filter: String) {
        self.client = client
        self.location = location
        self.filter = filter
    }

    public func watch(_ jobName: String) { watched.insert(jobName) }
    public func unwatch(_ jobName: String) { watched.remove(jobName) }

    /// The job as Batch reports it now, or nil when Batch does not know it.
    public func job(_ name: String) async throws -> BatchJob? {
        watched.insert(name)
        if watched.count <= 2 {
            return try await client.getJob(name)
        }
        // Join the round in flight only if it started after this caller's previous answer.
        let previous = roundOf[name] ?? -1
        if let inFlight, roundNumber > previous {
            let jobs = try await inFlight.value
            roundOf[name] = roundNumber
            if let job = jobs[name] { return job }
            return try await client.getJob(name)
        }
        roundNumber += 1
        let number = roundNumber
        let task = Task { [client, location, filter] in
            let jobs = try await client.listAllJobs(in: location, filter: filter, pageSize: 500)
            var byName: [String: BatchJob] = [:]
            for job in jobs { if let jobName = job.name { byName[jobName] = job } }
            return byName
        }
        inFlight = task
        defer { if roundNumber == number { inFlight = nil } }
        let jobs = try await task.value
        lastRound = jobs
        roundOf[name] = number
        if let job = jobs[name] { return job }
        // Not listed (just created, or gone): ask for it alone.
        return try await client.getJob(name)
    }
}

/// Reads the task logs of the running jobs of one project: one shared query per round for all registered jobs
/// (through `BatchLogReader`), each job's lines delivered once from its own cursor.
public actor LogMultiplexer {
    let reader: BatchLogReader
    private var cursors: [String: LogCursor] = [:]
    private var buffers: [String: [LogEntry]] = [:]
    private var inFlight: Task<Void, Error>?

    public init(reader: BatchLogReader) {
        self.reader = reader
    }

    /// Starts following `jobUID` after `cursor` (`.start` for a new job).
    public func register(_ jobUID: String, after cursor: LogCursor) {
        if cursors[jobUID] == nil { cursors[jobUID] = cursor }
    }

    public func unregister(_ jobUID: String) {
        cursors[jobUID] = nil
        buffers[jobUID] = nil
    }

    /// New lines of `jobUID` since the last call, in log order.
    public func drain(_ jobUID: String) async throws -> [LogEntry] {
        if buffers[jobUID, default: []].isEmpty {
            if let inFlight {
                try await inFlight.value
            } else {
                let snapshot = cursors
                let task = Task { [reader] in
                    let result = try await reader.read(snapshot)
                    self.deliver(result.entries, cursors: result.cursors)
                }
                inFlight = task
                defer { inFlight = nil }
                try await task.value
            }
        }
        let lines = buffers[jobUID] ?? []
        buffers[jobUID] = []
        return lines
    }

    private func deliver(_ entries: [String: [LogEntry]], cursors advanced: [String: LogCursor]) {
        for (uid, lines) in entries where cursors[uid] != nil {
            buffers[uid, default: []] += lines
        }
        for (uid, cursor) in advanced where cursors[uid] != nil {
            cursors[uid] = max(cursors[uid]!, cursor)
        }
    }
}
