import CSQLite
import Foundation
import Synchronization

/// The ledger's one writer: the write connection, and the serial thread that commits queued appends in groups.
///
/// Synchronous writes (`EventStore.append`, `acquireLease`, projections) take the connection under its mutex on the
/// caller's thread, as before. Queued appends (`EventStore.enqueueAppend`, `await EventStore.append`) are
/// committed by a dedicated thread, started on first use, never by a Swift concurrency thread: while it waits
/// for one commit's fsync, new appends gather in the queue, and the next transaction takes all of them at once
/// (group commit). Queued lease writes (the async `acquireLease`, `releaseLease`, `heartbeatLeases`) join the same
/// transactions. Each job runs inside its own savepoint, so one that fails (a version conflict, a lost lease) is
/// rolled back alone and the others still commit.
///
/// The thread holds this object, never the `EventStore`; the store stops the thread when it goes away.
final class LedgerWriter: @unchecked Sendable {
    /// One queued piece of work: an append and the handle its caller waits on, or another write (a lease).
    enum Job: Sendable {
        case append(request: AppendRequest, precondition: AppendPrecondition?, pending: PendingAppend)
        case write(any QueuedWrite)
    }

    /// How one job of a group transaction ended.
    enum Settled {
        case appended(AppendResult)
        case wrote
        case failed(LedgerError)

        var failed: Bool {
            if case .failed = self { return true }
            return false
        }
    }

    /// The most appends one group transaction takes, so that one commit's latency stays bounded.
    static let maximumGroup = 1000

    let path: String
    private let connection: Mutex<Connection?>
    private let clock: @Sendable () -> Date
    private let projections: [ProjectionRegistration]
    /// The shared database every write goes to first, when the file is its cache (see `LedgerOfRecord`).
    let record: (any LedgerOfRecord)?

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var threadStarted = false
    private var stopping = false
    private var threadFinished = false
    private var writerThreadID: pthread_t?
    private var statistics = WriterStatistics()

    /// A writer over `connection` (nil: the ledger was opened read-only, and every write is refused).
    init(
        path: String, connection: Connection?, clock: @escaping @Sendable () -> Date,
        projections: [ProjectionRegistration], record: (any LedgerOfRecord)? = nil
    ) {
        self.record = record
        self.path = path
        self.connection = Mutex(connection)
        self.clock = clock
        self.projections = projections
    }

    /// Runs `body` with the write connection on the caller's thread, or refuses when the ledger is read-only.
    func withConnection<T: Sendable>(_ body: (Connection) throws(LedgerError) -> T) throws(LedgerError) -> T {
        let result: Result<T, LedgerError> = connection.withLock { connection in
            guard let connection else {
                return .failure(.readOnly(path: path, detail: "opened read-only"))
            }
            do throws(LedgerError) {
                return .success(try body(connection))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// What the writer thread has committed so far.
    var currentStatistics: WriterStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    /// Queues `job` for the next group transaction, starting the writer thread on first use.
    func enqueue(_ job: Job) {
        condition.lock()
        queue.append(job)
        statistics.queued = queue.count
        if !threadStarted {
            threadStarted = true
            Thread { [self] in run() }.start()
        }
        condition.signal()
        condition.unlock()
    }

    /// Commits whatever is still queued, then ends the writer thread and waits for it to be gone.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        guard threadStarted else { return }
        stopping = true
        condition.broadcast()
        // The store can go away on the writer thread itself (a precondition that held the last reference to it,
        // released with its finished job): the thread then ends on its own once the queue is empty.
        if let writerThreadID, pthread_equal(writerThreadID, pthread_self()) != 0 { return }
        while !threadFinished {
            condition.wait()
        }
    }

    /// The writer thread: takes every queued job, commits them as one group, resumes their callers, and waits
    /// for more; it ends once `stop` was asked and the queue is empty.
    private func run() {
        Thread.current.name = "ledger-writer"
        condition.lock()
        writerThreadID = pthread_self()
        condition.unlock()
        while true {
            condition.lock()
            while queue.isEmpty && !stopping {
                condition.wait()
            }
            if queue.isEmpty {
                threadFinished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let count = min(queue.count, Self.maximumGroup)
            var remaining = ArraySlice(queue[..<count])
            queue.removeFirst(count)
            statistics.queued = queue.count
            condition.unlock()

            while !remaining.isEmpty {
                let outcome = record == nil ? commit(remaining) : commitToRecord(remaining)
                tally(outcome)
                // Callers resume only after their transaction has committed or failed, never before.
                for (job, settled) in outcome.results {
                    switch (job, settled) {
                    case (.append(_, _, let pending), .appended(let result)): pending.complete(.success(result))
                    case (.append(_, _, let pending), .failed(let error)): pending.complete(.failure(error))
                    case (.write(let write), .failed(let error)): write.finish(error)
                    case (.write(let write), _): write.finish(nil)
                    case (.append(_, _, let pending), .wrote):
                        pending.complete(.failure(.invalidArgument("an append settled as another write")))
                    }
                }
                remaining = outcome.retry
            }
        }
    }

    /// What one group transaction did: how each job it settled ended, and the jobs to run again in a new
    /// transaction (those that SQLite's rollback of the whole transaction undid through no fault of their own,
    /// and those not reached yet), in queue order.
    private struct GroupOutcome {
        var results: [(Job, Settled)]
        var retry: ArraySlice<Job> = []
        var committed = false
    }

    private func tally(_ outcome: GroupOutcome) {
        guard outcome.committed else { return }
        var appends = 0
        var events = 0
        for case (_, .appended(let result)) in outcome.results where !result.replayed {
            appends += 1
            events += result.events.count
        }
        condition.lock()
        statistics.transactions += 1
        statistics.appends += appends
        statistics.events += events
        condition.unlock()
    }

    /// Runs `jobs` in one transaction of the ledger of record, then brings the local file up to what it
    /// committed (and to what other hosts committed before it), so that a caller reads its own writes.
    private func commitToRecord(_ jobs: ArraySlice<Job>) -> GroupOutcome {
        guard let record else { return commit(jobs) }
        var sent: [(index: Int, job: RecordJob)] = []
        var results: [Settled?] = Array(repeating: nil, count: jobs.count)
        for (offset, job) in jobs.enumerated() {
            switch job {
            case .append(let request, let precondition, _):
                if let precondition, precondition.fence == nil {
                    results[offset] = .failed(
                        .invalidArgument("a ledger of record checks lease fences only, not other append checks"))
                } else {
                    sent.append((offset, .append(RecordAppend(request, fence: precondition?.fence))))
                }
            case .write(let write):
                if let recordJob = write.recordJob {
                    sent.append((offset, recordJob))
                } else {
                    // A write of the local file's own tables (none is queued today over a ledger of record).
                    results[offset] = .failed(.invalidArgument("a local write was queued for the ledger of record"))
                }
            }
        }
        var committed = false
        if !sent.isEmpty {
            do throws(LedgerError) {
                let (outcomes, tail) = try record.commit(
                    sent.map(\.job), now: clock(), local: localChain(sent.map(\.job)))
                committed = true
                var known: [RecordedEvent] = []
                var provenance: [ImportRecord] = []
                for ((offset, _), outcome) in zip(sent, outcomes) {
                    switch outcome {
                    case .appended(let result) where !result.replayed: known += result.events
                    case .imported(let rows, let imports):
                        known += rows
                        provenance += imports
                    default: break
                    }
                    switch (jobs[jobs.startIndex + offset], outcome) {
                    case (.append, .appended(let result)):
                        results[offset] = .appended(result)
                    case (.append, .failed(let error)):
                        results[offset] = .failed(error)
                    case (.append, _):
                        results[offset] = .failed(.invalidArgument("an append settled as another write"))
                    case (.write(let write), _):
                        do throws(LedgerError) {
                            try write.take(outcome)
                            results[offset] = .wrote
                        } catch {
                            results[offset] = .failed(error)
                        }
                    }
                }
                // The rows are committed in the ledger of record whatever happens here: a cache that cannot take
                // them now takes them at its next catch-up.
                _ = try? catchUp(through: tail, known: known.sorted { $0.seq < $1.seq }, provenance: provenance)
            } catch {
                for (offset, _) in sent { results[offset] = .failed(error) }
            }
        }
        return GroupOutcome(
            results: zip(jobs, results).map { job, settled in (job, settled ?? .failed(.invalidArgument("not run"))) },
            committed: committed)
    }

    /// The local file's tail and the heads of the streams `jobs` append to, when every job is an append (nil
    /// otherwise, or when the file cannot be read: the ledger of record then reads its own).
    private func localChain(_ jobs: [RecordJob]) -> LocalChain? {
        var streams: Set<String> = []
        for job in jobs {
            guard case .append(let append) = job else { return nil }
            streams.insert(append.stream)
        }
        return try? withConnection { (connection) throws(LedgerError) -> LocalChain in
            let tail = try EventStore.globalTail(connection)
            var heads: [String: LocalChain.Head] = [:]
            for stream in streams {
                let head = try EventStore.streamHead(stream, connection)
                heads[stream] = LocalChain.Head(version: head.version, hash: head.streamHash)
            }
            return LocalChain(tail: ChainLink(seq: tail.seq, hash: tail.hash), heads: heads)
        }
    }

    /// Brings the local file up to `through` (or the ledger of record's tail when nil), in order, each row checked
    /// against the chains it continues, in transactions of at most `catchUpPage` rows; returns the local tail.
    /// `known` are rows just committed (in `seq` order, with the provenance of those imported): they are not
    /// fetched again, only the rows other writers committed between them.
    @discardableResult
    func catchUp(through: Int64? = nil, known: [RecordedEvent] = [], provenance: [ImportRecord] = [])
        throws(LedgerError) -> Int64
    {
        guard let record else { return 0 }
        let target: Int64
        if let through { target = through } else { target = try record.tail().seq }
        let projections = projections
        var pending = known[...]
        while true {
            let done = try withConnection { (connection) throws(LedgerError) -> Int64? in
                try connection.immediateTransaction { () throws(LedgerError) -> Int64? in
                    let tail = try EventStore.globalTail(connection).seq
                    while let first = pending.first, first.seq <= tail { pending.removeFirst() }
                    if tail >= target { return tail }
                    var rows: [RecordedEvent]
                    var imports: [ImportRecord]
                    if let first = pending.first, first.seq == tail + 1 {
                        // Rows this process committed, up to the next gap.
                        var end = pending.startIndex
                        while end < pending.endIndex, pending[end].seq == tail + 1 + Int64(end - pending.startIndex),
                            end - pending.startIndex < Self.catchUpPage
                        {
                            end += 1
                        }
                        rows = Array(pending[pending.startIndex..<end])
                        pending = pending[end...]
                        let range = (rows.first!.seq)...(rows.last!.seq)
                        imports = provenance.filter { range.contains($0.importedSeq) }
                    } else {
                        let gapEnd = min(target, (pending.first?.seq ?? (target + 1)) - 1)
                        rows = try record.events(after: tail, through: gapEnd, limit: Self.catchUpPage)
                        guard let last = rows.last else {
                            throw .corrupted(
                                path: record.description,
                                detail: "events \(tail + 1) to \(gapEnd) are missing from the ledger of record")
                        }
                        imports = try record.imports(after: tail, through: last.seq)
                    }
                    try EventStore.insertCopied(rows, projections: projections, connection)
                    try EventStore.insertProvenance(imports, connection)
                    return nil
                }
            }
            if let done { return done }
        }
    }

    /// The most rows one catch-up transaction takes.
    static let catchUpPage = 2_000

    /// Runs `jobs` in one `BEGIN IMMEDIATE … COMMIT`, each inside its own savepoint.
    private func commit(_ jobs: ArraySlice<Job>) -> GroupOutcome {
        let clock = clock
        let projections = projections
        return connection.withLock { connection -> GroupOutcome in
            guard let connection else {
                let refused = LedgerError.readOnly(path: path, detail: "opened read-only")
                return GroupOutcome(results: jobs.map { ($0, .failed(refused)) })
            }
            do throws(LedgerError) {
                try connection.execute("BEGIN IMMEDIATE", during: "begin transaction")
            } catch {
                return GroupOutcome(results: jobs.map { ($0, .failed(error)) })
            }
            var results: [(Job, Settled)] = []
            results.reserveCapacity(jobs.count)
            for index in jobs.indices {
                let job = jobs[index]
                do throws(LedgerError) {
                    try connection.statement("SAVEPOINT append").step()
                    switch job {
                    case .append(let request, let precondition, _):
                        let result = try EventStore.write(
                            request, precondition: precondition, clock: clock, projections: projections, connection)
                        try connection.statement("RELEASE append").step()
                        results.append((job, .appended(result)))
                    case .write(let write):
                        try write.perform(connection, now: clock())
                        try connection.statement("RELEASE append").step()
                        results.append((job, .wrote))
                    }
                } catch {
                    if connection.isInTransaction {
                        // Only this append is undone; the rest of the group goes on.
                        sqlite3_exec(connection.handle, "ROLLBACK TO append; RELEASE append", nil, nil, nil)
                        results.append((job, .failed(error)))
                        continue
                    }
                    // SQLite rolled the whole transaction back (a full disk, an I/O error): this append fails;
                    // those it undid, and those not reached yet, go again in a new transaction.
                    var outcome = GroupOutcome(results: [(job, .failed(error))])
                    for (earlier, result) in results {
                        if result.failed {
                            outcome.results.append((earlier, result))
                        } else {
                            outcome.retry.append(earlier)
                        }
                    }
                    outcome.retry += jobs[(index + 1)...]
                    return outcome
                }
            }
            do throws(LedgerError) {
                try connection.execute("COMMIT", during: "commit")
            } catch {
                if connection.isInTransaction {
                    sqlite3_exec(connection.handle, "ROLLBACK", nil, nil, nil)
                }
                // The commit itself failed: every append of the group is lost and fails with that error (those
                // that had failed on their own keep their own error).
                return GroupOutcome(
                    results: results.map { job, result in
                        if result.failed { return (job, result) }
                        return (job, .failed(error))
                    })
            }
            return GroupOutcome(results: results, committed: true)
        }
    }
}

/// What the ledger's writer thread has done since the store was opened: a measure of group commit at work.
public struct WriterStatistics: Sendable, Equatable {
    /// Group transactions committed (one fsync each).
    public var transactions = 0
    /// Appends committed in them (replays of an idempotency key write nothing and are not counted).
    public var appends = 0
    /// Events committed in them.
    public var events = 0
    /// Appends waiting for the next transaction right now.
    public var queued = 0

    public init() {}
}
