import Foundation

/// A ledger kept in a database several hosts share (PostgreSQL), of which the local SQLite file is a cache.
///
/// The database holds the log, the append keys, the leases and the ledger's keys; every write goes there first, in
/// one transaction per group of appends, and the local file receives the committed rows afterwards, in `seq`
/// order, checked link by link, so that every read (projections, audit, replay, export) runs locally on a verified
/// prefix of the shared log. Rows other hosts wrote are fetched before the local file takes rows past them.
///
/// Calls block the calling thread until the database answers; the store makes them from its writer thread (and
/// from the thread that opens it), never from an event loop.
public protocol LedgerOfRecord: AnyObject, Sendable {
    /// The database's address without its password: what messages name.
    var description: String { get }

    /// Runs `jobs` in one transaction, serialised with every other writer of the ledger on any host, and
    /// commits it. Each job succeeds or fails on its own: a job whose check fails (a version conflict, a lost
    /// lease, a reused idempotency key) writes nothing and the others still commit. Throws only when the whole
    /// transaction failed (the database is unreachable, the commit was refused); nothing of it is then written,
    /// or, when the outcome of the commit itself is unknown, the store finds out by reading the log. Returns each
    /// job's outcome and the last `seq` committed when the transaction ended (what the local file then catches
    /// up to: the writes of every host before this one).
    ///
    /// `local` is what the local file held of the chain when the group was formed (given for groups of appends
    /// only): while no other host has written since, it is the database's own state, and the group can be written
    /// in one round trip that checks it; otherwise the database's state is read first.
    func commit(_ jobs: [RecordJob], now: Date, local: LocalChain?) throws(LedgerError) -> (
        outcomes: [RecordOutcome], tail: Int64
    )

    /// Up to `limit` events with `seq` after `seq` (and at most `last`), in order.
    func events(after seq: Int64, through last: Int64, limit: Int) throws(LedgerError) -> [RecordedEvent]

    /// The last event's link (seq 0 and the zero hash for an empty ledger).
    func tail() throws(LedgerError) -> ChainLink

    /// The provenance rows of imported events with `seq` after `seq` through `last`.
    func imports(after seq: Int64, through last: Int64) throws(LedgerError) -> [ImportRecord]

    /// The global hash of the event at `seq`, or nil when there is none.
    func hash(at seq: Int64) throws(LedgerError) -> SHA256Digest?

    /// The holders of the leases of `streams` that are not released, aged by the database's clock, each with the
    /// TTL it chose.
    func leaseHolders(_ streams: [String]) throws(LedgerError) -> [String: LeaseHolder]

    /// Takes one call from the allowance `scope` of `perMinute` calls in any `window` seconds of the database's
    /// clock, in a short transaction of its own, serialised with every other taker of that allowance on any host:
    /// nil when taken, else the seconds until the oldest call that counts ages out (nothing is taken then).
    func takeRequest(_ scope: String, perMinute: Int, window: Double) throws(LedgerError) -> Double?

    /// The ledger's keys (the secret-digest key), without creating any.
    func ledgerKeys() throws(LedgerError) -> [LedgerKey]

    /// Whether the database's triggers that refuse UPDATE, DELETE and TRUNCATE of events are in place and enabled.
    func immutabilityTriggersPresent() throws(LedgerError) -> Bool

    /// Ends the connection; calls after this fail.
    func close()
}

/// The local file's chain as a group of appends is formed: its tail, and the head of every stream the group
/// appends to. The file is a prefix of the ledger of record, so when their tails agree these heads are the
/// database's too.
public struct LocalChain: Sendable, Equatable {
    public struct Head: Sendable, Equatable {
        public let version: Int64
        public let hash: SHA256Digest

        public init(version: Int64, hash: SHA256Digest) {
            self.version = version
            self.hash = hash
        }
    }

    public let tail: ChainLink
    public let heads: [String: Head]

    public init(tail: ChainLink, heads: [String: Head]) {
        self.tail = tail
        self.heads = heads
    }
}

/// A lease check an append carries into the database's transaction: the lease of `stream` still has `token`.
public struct LeaseFence: Sendable, Equatable {
    public let stream: String
    public let token: Int64

    public init(stream: String, token: Int64) {
        self.stream = stream
        self.token = token
    }
}

/// One write for the ledger of record, with the checks that decide it inside the transaction.
public enum RecordJob: Sendable {
    /// Append `events` to `stream`: the idempotency key, the fence and the expected version are checked in
    /// that order, as in the SQLite ledger.
    case append(RecordAppend)
    /// Take the lease of `stream` unless a live holder has it, storing `ttl` with it (how long after its last
    /// heartbeat it expires); `decide` says whether the current holder still holds it (it sees the holder's row,
    /// its age by the database's clock and the TTL it chose).
    case acquireLease(
        stream: String, owner: String, host: String, pid: Int32, ttl: Double, decide: @Sendable (LeaseHolder) -> Bool)
    /// Renew leases held by this process; the outcome names those taken over by another.
    case renewLeases([String: Int64])
    /// Give a lease up.
    case releaseLease(stream: String, token: Int64)
    /// The key named `name`, stored as `candidate` when there is none yet.
    case ledgerKey(name: String, candidate: [UInt8])
    /// Rows of another ledger, stored as they are (same seq, time and hashes); each must continue the chains.
    case copy([RecordedEvent])
    /// Keys of another ledger; one already stored under the same name must be the same key.
    case copyKeys([LedgerKey])
    /// Events of an export, each the next version of its stream with its own time and payload, continuing
    /// this ledger's global chain; each must reproduce the source's stream hash. The outcome is `.imported`.
    case importEvents([RecordedEvent], sourceLedger: String, importedAt: String)
}

/// Where one imported event came from: a row of `imports`.
public struct ImportRecord: Sendable, Equatable {
    public let importedSeq: Int64
    public let stream: String
    public let sourceLedger: String
    public let sourceSeq: Int64
    public let sourceHash: SHA256Digest
    public let sourceStreamHash: SHA256Digest
    public let importedAt: String

    public init(
        importedSeq: Int64, stream: String, sourceLedger: String, sourceSeq: Int64, sourceHash: SHA256Digest,
        sourceStreamHash: SHA256Digest, importedAt: String
    ) {
        self.importedSeq = importedSeq
        self.stream = stream
        self.sourceLedger = sourceLedger
        self.sourceSeq = sourceSeq
        self.sourceHash = sourceHash
        self.sourceStreamHash = sourceStreamHash
        self.importedAt = importedAt
    }
}

/// An append for the ledger of record, validated.
public struct RecordAppend: Sendable {
    public let events: [NewEvent]
    public let stream: String
    public let expectedVersion: ExpectedVersion
    public let idempotencyKey: String?
    /// What identifies the request for its idempotency key (nil without a key).
    public let requestDigest: SHA256Digest?
    public let fence: LeaseFence?

    init(_ request: AppendRequest, fence: LeaseFence?) {
        events = request.events
        stream = request.stream
        expectedVersion = request.expectedVersion
        idempotencyKey = request.idempotencyKey
        requestDigest = request.digest
        self.fence = fence
    }
}

/// How one job of a committed transaction ended.
public enum RecordOutcome: Sendable {
    case appended(AppendResult)
    /// The rows an import wrote, and their provenance.
    case imported([RecordedEvent], [ImportRecord])
    case lease(LeaseOutcome)
    case lost(Set<String>)
    case key([UInt8])
    case done
    case failed(LedgerError)
}
