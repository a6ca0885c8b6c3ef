import Foundation
import Synchronization

/// Who holds an execution's lease.
public struct LeaseHolder: Sendable, Equatable, CustomStringConvertible {
    public var owner: String
    public var pid: Int32
    public var host: String
    public var token: Int64
    /// Seconds since the holder's last heartbeat.
    public var age: Double
    /// The TTL the holder chose when it took the lease: its lease expires this many seconds after its last
    /// heartbeat, whatever TTL the process that looks at it was given.
    public var ttl: Double

    public init(owner: String, pid: Int32, host: String, token: Int64, age: Double, ttl: Double) {
        self.owner = owner
        self.pid = pid
        self.host = host
        self.token = token
        self.age = age
        self.ttl = ttl
    }

    /// Whether the lease outlived its holder's TTL: its last heartbeat is older than the TTL the holder chose.
    public var isExpired: Bool { age > ttl }

    public var description: String {
        let heartbeat = String(format: "%.1f", age)
        return "\(owner) (pid \(pid) on \(host), heartbeat \(heartbeat) s ago, TTL \(String(format: "%g", ttl)) s)"
    }
}

/// The outcome of asking for a lease.
public enum LeaseOutcome: Sendable, Equatable {
    /// This process holds the lease; every write it makes to the stream must carry this token.
    case acquired(token: Int64)
    /// A live process holds it.
    case heldBy(LeaseHolder)
}

/// Leases: one process at a time drives an execution. A lease is a row with a fencing token that grows with
/// every takeover; writers check their token inside each write transaction, so a process that lost its lease
/// can never append again. A lease whose holder is a dead process on this host is taken over at once;
/// otherwise it expires its holder's TTL after its last heartbeat. The TTL is stored with the lease when it is
/// taken, so that processes given different TTLs agree on when a lease expired.
extension EventStore {
    /// The TTL a lease is taken with unless the caller chooses one (and that of leases stored before TTLs were).
    public static let leaseTTL: Double = 10

    /// This process's host as leases name it: the host name, with the kernel's boot id and the process's pid
    /// namespace when they can be read. A process id means something only within its pid namespace, so two
    /// containers that share a host name are two hosts to a lease: neither takes the other's process id for its
    /// own, or for a process that is gone.
    public static let leaseHost: String = {
        let name = ProcessInfo.processInfo.hostName
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))
            .map { String($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix(8)) }
        let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
        guard let boot, !boot.isEmpty, let namespace else { return name }
        return "\(name) (boot \(boot), \(namespace))"
    }()

    /// The current holders of the leases of `streams` that are not released, aged by the clock of the ledger
    /// of record (or this host's, for a plain file).
    public func leaseHolders(_ streams: [String]) throws(LedgerError) -> [String: LeaseHolder] {
        if let record = options.record { return try record.leaseHolders(streams) }
        let now = options.clock().timeIntervalSince1970
        do {
            return try withReader { connection in
                let query = try connection.statement(
                    "SELECT token, owner, pid, host, heartbeat_at, ttl FROM leases WHERE stream = ? AND released = 0")
                var holders: [String: LeaseHolder] = [:]
                for stream in streams {
                    query.bind(1, stream)
                    if try query.step() {
                        holders[stream] = LeaseHolder(
                            owner: query.text(1), pid: Int32(truncatingIfNeeded: query.int64(2)), host: query.text(3),
                            token: query.int64(0), age: now - query.double(4), ttl: query.double(5))
                    }
                    query.reset()
                }
                return holders
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .invalidArgument("\(error)")
        }
    }

    /// Whether a holder of a lease this process may read holds it still against this process, by the TTL the
    /// holder chose (see `holds`).
    public func leaseIsHeld(by holder: LeaseHolder) -> Bool {
        Self.holds(holder, host: options.host, pid: getpid())
    }

    /// Takes the lease of `stream` for this process, unless a live holder has it. `ttl` is stored with the lease:
    /// how long after this process's last heartbeat any process may take it over.
    public func acquireLease(_ stream: String, owner: String, ttl: Double = EventStore.leaseTTL) throws(LedgerError)
        -> LeaseOutcome
    {
        try Self.checkTTL(ttl)
        if options.record != nil {
            return try recordWrite(leaseJob(stream, owner: owner, ttl: ttl), answer: Self.leaseOutcome)
        }
        let now = options.clock()
        let host = options.host
        return try withWriter { (connection) throws(LedgerError) -> LeaseOutcome in
            try connection.immediateTransaction { () throws(LedgerError) -> LeaseOutcome in
                try Self.acquire(stream, owner: owner, ttl: ttl, host: host, now: now, connection)
            }
        }
    }

    /// Takes the lease of `stream` for this process, unless a live holder has it, in the writer thread's next
    /// group transaction (with the appends and lease writes queued beside it: one commit for all). A lease taken
    /// here is renewed by `heartbeatLeases` until `releaseLease` gives it up.
    public func acquireLease(_ stream: String, owner: String, ttl: Double = EventStore.leaseTTL)
        async throws(LedgerError)
        -> LeaseOutcome
    {
        try Self.checkTTL(ttl)
        let outcome: LeaseOutcome
        if options.record != nil {
            outcome = try await recordWrite(leaseJob(stream, owner: owner, ttl: ttl), answer: Self.leaseOutcome)
        } else {
            let host = options.host
            outcome = try await queue { (connection, now) throws(LedgerError) in
                try Self.acquire(stream, owner: owner, ttl: ttl, host: host, now: now, connection)
            }
        }
        if case .acquired(let token) = outcome {
            heldLeases.hold(stream, token: token)
        }
        return outcome
    }

    /// Renews the lease; false when another process took it over.
    @discardableResult
    public func heartbeatLease(_ stream: String, token: Int64) throws(LedgerError) -> Bool {
        if options.record != nil {
            return try recordWrite(.renewLeases([stream: token])) { (outcome) throws(LedgerError) -> Bool in
                guard case .lost(let lost) = outcome else { throw Self.unexpected(outcome) }
                return !lost.contains(stream)
            }
        }
        let now = options.clock()
        return try withWriter { (connection) throws(LedgerError) -> Bool in
            try Self.renew(stream, token: token, now: now, connection)
        }
    }

    /// Renews every lease this process holds through the async `acquireLease`, all in one write of the writer
    /// thread's next group transaction, so that a process driving a thousand executions renews their leases
    /// with one commit, not a thousand. Many callers (one per execution, each on its own schedule) share that
    /// work: a call while a renewal is in flight waits for it, and a call within `coveredWithin` of the last
    /// renewal's start returns at once. A lease another process took over is dropped from those renewed; the
    /// fencing token already keeps this process from appending to it. Returns the streams whose lease was lost.
    @discardableResult
    public func heartbeatLeases(coveredWithin: Duration) async throws(LedgerError) -> Set<String> {
        let now = options.clock()
        let covered = Double(coveredWithin.components.seconds) + Double(coveredWithin.components.attoseconds) / 1e18
        let toRecord = options.record != nil
        let renewal = heldLeases.renewal(now: now, coveredWithin: covered) { leases in
            if toRecord {
                return PendingWrite<Set<String>>(record: .renewLeases(leases)) { (outcome) throws(LedgerError) in
                    guard case .lost(let lost) = outcome else { throw Self.unexpected(outcome) }
                    return lost
                }
            }
            return PendingWrite<Set<String>> { (connection, now) throws(LedgerError) in
                var lost: Set<String> = []
                for (stream, token) in leases where try !Self.renew(stream, token: token, now: now, connection) {
                    lost.insert(stream)
                }
                return lost
            }
        }
        guard let renewal else { return [] }
        if renewal.started {
            writer.enqueue(.write(renewal.write))
        }
        do {
            let lost = try await renewal.write.result()
            if renewal.started { heldLeases.finish(renewal.leases, lost: lost) }
            return lost
        } catch {
            if renewal.started { heldLeases.finish(renewal.leases, lost: []) }
            throw error
        }
    }

    /// Gives the lease up (the next taker does not wait for it to expire).
    public func releaseLease(_ stream: String, token: Int64) throws(LedgerError) {
        if options.record != nil {
            try recordWrite(.releaseLease(stream: stream, token: token)) { (_) throws(LedgerError) in () }
            return
        }
        try withWriter { (connection) throws(LedgerError) in
            try Self.release(stream, token: token, connection)
        }
    }

    /// Gives the lease up in the writer thread's next group transaction, and stops renewing it.
    public func releaseLease(_ stream: String, token: Int64) async throws(LedgerError) {
        heldLeases.drop(stream, token: token)
        if options.record != nil {
            try await recordWrite(.releaseLease(stream: stream, token: token)) { (_) throws(LedgerError) in () }
            return
        }
        try await queue { (connection, _) throws(LedgerError) in
            try Self.release(stream, token: token, connection)
        }
    }

    /// The check an append runs inside its transaction: the lease of `stream` still carries `token`.
    public static func fence(_ stream: String, token: Int64) -> AppendPrecondition {
        AppendPrecondition(fence: LeaseFence(stream: stream, token: token)) { transaction throws(LedgerError) in
            let current = try transaction.integer("SELECT token FROM leases WHERE stream = ? AND released = 0", stream)
            if current != token { throw .leaseLost(stream: stream) }
        }
    }

    /// Runs `body` in the writer thread's next group transaction and returns its answer once that has committed.
    private func queue<T: Sendable>(_ body: @escaping @Sendable (Connection, Date) throws(LedgerError) -> T)
        async throws(LedgerError) -> T
    {
        if options.readOnly {
            throw .readOnly(path: path, detail: "opened read-only")
        }
        let write = PendingWrite(body)
        writer.enqueue(.write(write))
        return try await write.result()
    }

    /// The lease request for the ledger of record: the database's clock measures the holder's age (hosts'
    /// clocks may differ), and `holds` decides by the holder's stored TTL.
    private func leaseJob(_ stream: String, owner: String, ttl: Double) -> RecordJob {
        let host = options.host
        let pid = getpid()
        return .acquireLease(stream: stream, owner: owner, host: host, pid: pid, ttl: ttl) { holder in
            Self.holds(holder, host: host, pid: pid)
        }
    }

    /// A TTL is a finite number of seconds, zero or more (zero: the lease expires with the next tick of the
    /// clock after each heartbeat).
    private static func checkTTL(_ ttl: Double) throws(LedgerError) {
        guard ttl.isFinite, ttl >= 0 else {
            throw .invalidArgument("a lease TTL must be a finite number of seconds, 0 or more, not \(ttl)")
        }
    }

    private static func leaseOutcome(_ outcome: RecordOutcome) throws(LedgerError) -> LeaseOutcome {
        guard case .lease(let lease) = outcome else { throw unexpected(outcome) }
        return lease
    }

    private static func unexpected(_ outcome: RecordOutcome) -> LedgerError {
        .invalidArgument("the ledger of record answered a lease write with \(outcome)")
    }

    /// Whether `holder` (whose lease is not released) still holds the lease against a process `pid` of `host`:
    /// not when it is that process, not when its heartbeat is older than the TTL the holder chose, and not when it
    /// is a process of this host that is gone. A holder on another host is alive until its lease expires.
    public static func holds(_ holder: LeaseHolder, host: String, pid: Int32) -> Bool {
        if holder.host == host && holder.pid == pid { return false }
        if holder.isExpired { return false }
        return holder.host == host ? processExists(holder.pid) : true
    }

    private static func acquire(
        _ stream: String, owner: String, ttl: Double, host: String, now date: Date, _ connection: Connection
    ) throws(LedgerError) -> LeaseOutcome {
        let pid = getpid()
        let now = date.timeIntervalSince1970
        let query = try connection.statement(
            "SELECT token, owner, pid, host, heartbeat_at, released, ttl FROM leases WHERE stream = ?")
        query.bind(1, stream)
        var token: Int64 = 0
        if try query.step() {
            token = query.int64(0)
            let heartbeat = query.double(4)
            let holder = LeaseHolder(
                owner: query.text(1), pid: Int32(query.int64(2)), host: query.text(3), token: token,
                age: now - heartbeat, ttl: query.double(6))
            let released = query.int64(5) != 0
            query.reset()
            if !released && Self.holds(holder, host: host, pid: pid) {
                return .heldBy(holder)
            }
        } else {
            query.reset()
        }
        let upsert = try connection.statement(
            """
            INSERT INTO leases(stream, token, owner, pid, host, heartbeat_at, released, ttl)
            VALUES (?, ?, ?, ?, ?, ?, 0, ?)
            ON CONFLICT(stream) DO UPDATE SET token = excluded.token, owner = excluded.owner, pid = excluded.pid,
                host = excluded.host, heartbeat_at = excluded.heartbeat_at, released = 0, ttl = excluded.ttl
            """)
        upsert.bind(1, stream)
        upsert.bind(2, token + 1)
        upsert.bind(3, owner)
        upsert.bind(4, Int64(pid))
        upsert.bind(5, host)
        upsert.bind(6, now)
        upsert.bind(7, ttl)
        try upsert.step()
        return .acquired(token: token + 1)
    }

    private static func renew(_ stream: String, token: Int64, now: Date, _ connection: Connection)
        throws(LedgerError) -> Bool
    {
        let update = try connection.statement(
            "UPDATE leases SET heartbeat_at = ? WHERE stream = ? AND token = ? AND released = 0")
        update.bind(1, now.timeIntervalSince1970)
        update.bind(2, stream)
        update.bind(3, token)
        try update.step()
        return connection.changes == 1
    }

    private static func release(_ stream: String, token: Int64, _ connection: Connection) throws(LedgerError) {
        let update = try connection.statement("UPDATE leases SET released = 1 WHERE stream = ? AND token = ?")
        update.bind(1, stream)
        update.bind(2, token)
        try update.step()
    }

    static func processExists(_ pid: Int32) -> Bool {
        if kill(pid, 0) == 0 { return true }
        return errno == EPERM
    }
}

/// The leases one store's process holds, and the renewal of all of them that is in flight, if any.
final class HeldLeases: Sendable {
    /// One renewal of every held lease: the write, the leases it renews, and whether this caller started it
    /// (and so queues it and settles it) or joined one in flight.
    struct Renewal {
        let write: PendingWrite<Set<String>>
        let leases: [String: Int64]
        let started: Bool
    }

    private struct State {
        var held: [String: Int64] = [:]
        var inFlight: (write: PendingWrite<Set<String>>, leases: [String: Int64])?
        var lastStart: Date?
    }

    private let state = Mutex(State())

    func hold(_ stream: String, token: Int64) {
        state.withLock { $0.held[stream] = token }
    }

    func drop(_ stream: String, token: Int64) {
        state.withLock { state in
            if state.held[stream] == token { state.held[stream] = nil }
        }
    }

    /// The renewal a heartbeat at `now` takes part in: the one in flight, a new one, or none (nothing held, or
    /// the last renewal started within `coveredWithin` seconds).
    func renewal(
        now: Date, coveredWithin: Double, make: ([String: Int64]) -> PendingWrite<Set<String>>
    ) -> Renewal? {
        state.withLock { state in
            if let inFlight = state.inFlight {
                return Renewal(write: inFlight.write, leases: inFlight.leases, started: false)
            }
            if let last = state.lastStart, now.timeIntervalSince(last) < coveredWithin { return nil }
            guard !state.held.isEmpty else { return nil }
            let write = make(state.held)
            state.inFlight = (write, state.held)
            state.lastStart = now
            return Renewal(write: write, leases: state.held, started: true)
        }
    }

    /// Ends the renewal in flight; the leases it found lost are renewed no more.
    func finish(_ renewed: [String: Int64], lost: Set<String>) {
        state.withLock { state in
            state.inFlight = nil
            for stream in lost where state.held[stream] == renewed[stream] {
                state.held[stream] = nil
            }
        }
    }
}
