import Foundation

/// Who holds an execution's lease.
public struct LeaseHolder: Sendable, Equatable, CustomStringConvertible {
    public var owner: String
    public var pid: Int32
    public var host: String
    public var token: Int64
    /// Seconds since the holder's last heartbeat.
    public var age: Double

    public var description: String {
        "\(owner) (pid \(pid) on \(host), heartbeat \(String(format: "%.1f", age)) s ago)"
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
/// otherwise it expires `ttl` after its last heartbeat.
extension EventStore {
    public static let leaseTTL: Double = 10

    /// Takes the lease of `stream` for this process, unless a live holder has it.
    public func acquireLease(_ stream: String, owner: String, ttl: Double = EventStore.leaseTTL) throws(LedgerError)
        -> LeaseOutcome
    {
        let host = ProcessInfo.processInfo.hostName
        let pid = getpid()
        let now = Date().timeIntervalSince1970
        return try withWriter { (connection) throws(LedgerError) -> LeaseOutcome in
            try connection.immediateTransaction { () throws(LedgerError) -> LeaseOutcome in
                let query = try connection.statement(
                    "SELECT token, owner, pid, host, heartbeat_at, released FROM leases WHERE stream = ?")
                query.bind(1, stream)
                var token: Int64 = 0
                if try query.step() {
                    token = query.int64(0)
                    let heartbeat = query.double(4)
                    let holder = LeaseHolder(
                        owner: query.text(1), pid: Int32(query.int64(2)), host: query.text(3), token: token,
                        age: now - heartbeat)
                    let released = query.int64(5) != 0
                    query.reset()
                    let holderAlive = holder.host == host ? Self.processExists(holder.pid) : true
                    let expired = now - heartbeat > ttl
                    if !released && holderAlive && !expired && !(holder.host == host && holder.pid == pid) {
                        return .heldBy(
                            LeaseHolder(
                                owner: holder.owner, pid: holder.pid, host: holder.host, token: token,
                                age: now - heartbeat))
                    }
                } else {
                    query.reset()
                }
                let upsert = try connection.statement(
                    """
                    INSERT INTO leases(stream, token, owner, pid, host, heartbeat_at, released) VALUES (?, ?, ?, ?, ?, ?, 0)
                    ON CONFLICT(stream) DO UPDATE SET token = excluded.token, owner = excluded.owner, pid = excluded.pid,
                        host = excluded.host, heartbeat_at = excluded.heartbeat_at, released = 0
                    """)
                upsert.bind(1, stream)
                upsert.bind(2, token + 1)
                upsert.bind(3, owner)
                upsert.bind(4, Int64(pid))
                upsert.bind(5, host)
                upsert.bind(6, now)
                try upsert.step()
                return .acquired(token: token + 1)
            }
        }
    }

    /// Renews the lease; false when another process took it over.
    @discardableResult
    public func heartbeatLease(_ stream: String, token: Int64) throws(LedgerError) -> Bool {
        try withWriter { (connection) throws(LedgerError) -> Bool in
            let update = try connection.statement(
                "UPDATE leases SET heartbeat_at = ? WHERE stream = ? AND token = ? AND released = 0")
            update.bind(1, Date().timeIntervalSince1970)
            update.bind(2, stream)
            update.bind(3, token)
            try update.step()
            return connection.changes == 1
        }
    }

    /// Gives the lease up (the next taker does not wait for it to expire).
    public func releaseLease(_ stream: String, token: Int64) throws(LedgerError) {
        try withWriter { (connection) throws(LedgerError) in
            let update = try connection.statement("UPDATE leases SET released = 1 WHERE stream = ? AND token = ?")
            update.bind(1, stream)
            update.bind(2, token)
            try update.step()
        }
    }

    /// The check an append runs inside its transaction: the lease of `stream` still carries `token`.
    public static func fence(_ stream: String, token: Int64) -> AppendPrecondition {
        { transaction throws(LedgerError) in
            let current = try transaction.integer("SELECT token FROM leases WHERE stream = ? AND released = 0", stream)
            if current != token { throw .leaseLost(stream: stream) }
        }
    }

    static func processExists(_ pid: Int32) -> Bool {
        if kill(pid, 0) == 0 { return true }
        return errno == EPERM
    }
}
