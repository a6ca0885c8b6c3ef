import CSQLite
import Foundation
import Primitives
import Synchronization

/// The append-only event ledger: one SQLite file in WAL mode with `synchronous=FULL`.
///
/// One writer connection serialises appends inside the process; `BEGIN IMMEDIATE` serialises them across
/// processes. Async appends run on the writer's own thread and commit in groups (`LedgerWriter`). Reads use
/// their own connections, so a long scan never holds up an append.
public final class EventStore: Sendable {
    /// How to open a ledger.
    public struct Options: Sendable {
        /// How long a write waits for another process's lock before `LedgerError.locked`.
        public var busyTimeout: Duration
        /// Open without writing anything (no creation, no migration). Appends fail with `readOnly`.
        public var readOnly: Bool
        /// Projections kept up to date in every append transaction.
        public var projections: [ProjectionRegistration]
        /// The time recorded in `recorded_at`.
        public var clock: @Sendable () -> Date
        /// A quota on the file's size, in database pages (4 KiB each): a write past it fails as `diskFull`, and
        /// is rolled back, exactly as on a full disk. Nil: no quota.
        public var maximumPageCount: Int?
        /// True (the default): every commit is on disk before the write returns (`synchronous=FULL`). False only
        /// for a scratch ledger that is thrown away after use (decision replay's): commits are not synced
        /// (`synchronous=OFF`), so a crash may lose or corrupt it.
        public var durable: Bool
        /// The shared database that is the ledger of record, the file at `path` being its local cache (see
        /// `LedgerOfRecord`); nil for a ledger that is the file itself. With it, `readOnly` refuses writes to the
        /// ledger while the cache still takes the rows it fetches.
        public var record: (any LedgerOfRecord)?
        /// The host a lease names as its holder's: a lease held by a process of this host that is gone is taken
        /// over at once; one held on another host only once it expired.
        public var host: String

        public init(
            busyTimeout: Duration = .seconds(10), readOnly: Bool = false,
            projections: [ProjectionRegistration] = [], clock: @escaping @Sendable () -> Date = { Date() },
            maximumPageCount: Int? = nil, durable: Bool = true, record: (any LedgerOfRecord)? = nil,
            host: String = EventStore.leaseHost
        ) {
            self.record = record
            self.host = host
            self.maximumPageCount = maximumPageCount
            self.durable = durable
            self.busyTimeout = busyTimeout
            self.readOnly = readOnly
            self.projections = projections
            self.clock = clock
        }
    }

    /// The ledger file.
    public let path: String
    let options: Options
    let writer: LedgerWriter
    /// The leases this process took through the async `acquireLease` and has not given up: what
    /// `heartbeatLeases` renews.
    let heldLeases = HeldLeases()
    /// How reader connections open the file: as the writer does, read-only, or immutable (read-only media).
    private let readerAccess: Connection.Access
    private let idleReaders = Mutex<[Connection]>([])
    /// The secret-digest key once read or created: it never changes, and asking the writer for it would queue
    /// every new execution behind the appends in flight.
    let knownSecretDigestKey = Mutex<SecretDigestKey?>(nil)

    /// Opens the ledger at `path`, creating it (mode 0600, parent folders 0700) and migrating it as needed.
    ///
    /// With `options.readOnly`, nothing is created or written: a missing file is `noLedger`, the file is opened
    /// with `SQLITE_OPEN_READONLY`, and when even that fails because the `-shm` file of WAL mode cannot be
    /// created (read-only media, a folder the user cannot write), it is opened as immutable.
    public init(path: String, options: Options = Options()) throws(LedgerError) {
        self.path = path
        self.options = options
        let connection: Connection
        if let record = options.record {
            connection = try Self.openCache(at: path, of: record, busyTimeout: options.busyTimeout)
            readerAccess = .readWrite
        } else if options.readOnly {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw .noLedger(path: path)
            }
            if isFolder.boolValue {
                throw .notALedger(path: path, detail: "a folder")
            }
            let opened = try Self.openForReading(path, busyTimeout: options.busyTimeout)
            connection = opened.connection
            readerAccess = opened.access
        } else {
            if !FileManager.default.fileExists(atPath: path) {
                try Self.createFile(at: path)
            }
            connection = try Connection(path: path, access: .readWrite, busyTimeout: options.busyTimeout)
            readerAccess = .readWrite
            try Self.checkIdentity(connection)
        }
        try Self.configure(
            connection, readOnly: options.readOnly && options.record == nil,
            synchronous: options.record != nil ? .normal : options.durable ? .full : .off)
        if options.readOnly && options.record == nil {
            let version = Int(try connection.pragma("user_version") ?? "0") ?? 0
            if version > Schema.latestVersion {
                throw .newerSchema(path: path, found: version, supported: Schema.latestVersion)
            }
            // An empty file (or an empty SQLite database) was never migrated: no ledger has been written there.
            if version == 0 {
                throw .noLedger(path: path)
            }
            writer = LedgerWriter(path: path, connection: nil, clock: options.clock, projections: options.projections)
        } else {
            try Schema.migrate(connection, now: Timestamp.rfc3339(options.clock()))
            if let pages = options.maximumPageCount {
                _ = try connection.pragma("max_page_count = \(pages)")
            }
            writer = LedgerWriter(
                path: path, connection: connection, clock: options.clock, projections: options.projections,
                record: options.record)
        }
        if options.readOnly && options.record == nil {
            idleReaders.withLock { $0.append(connection) }
        }
        if options.record != nil {
            try writer.catchUp()
        }
    }

    /// What messages call the ledger: the file, or the ledger of record's address when the file is its cache.
    public var name: String {
        options.record?.description ?? path
    }

    /// Whether the file is the cache of a ledger of record (PostgreSQL).
    public var hasRecord: Bool {
        options.record != nil
    }

    /// The ledger of record the file is the cache of (nil for a plain file).
    public var record: (any LedgerOfRecord)? {
        options.record
    }

    /// Brings the cache up to everything the ledger of record holds now (what other hosts wrote since the last
    /// write or catch-up of this process); returns the last `seq` the cache holds. Nothing for a plain file.
    @discardableResult
    public func catchUp() throws(LedgerError) -> Int64 {
        guard options.record != nil else {
            do {
                return try lastSeq()
            } catch let error as LedgerError {
                throw error
            } catch {
                throw .invalidArgument("\(error)")
            }
        }
        return try writer.catchUp()
    }

    /// Opens the cache of `record` at `path`, creating it as a ledger file; a cache that is not a prefix of the
    /// ledger of record (a database created anew, a file of another ledger) is removed and begun again.
    private static func openCache(at path: String, of record: any LedgerOfRecord, busyTimeout: Duration)
        throws(LedgerError) -> Connection
    {
        for attempt in 0..<2 {
            if !FileManager.default.fileExists(atPath: path) {
                try createFile(at: path)
            }
            let connection = try Connection(path: path, access: .readWrite, busyTimeout: busyTimeout)
            var consistent = true
            do throws(LedgerError) {
                try checkIdentity(connection)
                let version = Int(try connection.pragma("user_version") ?? "0") ?? 0
                if version > 0 {
                    let tail = try globalTail(connection)
                    if tail.seq > 0 {
                        consistent = try record.hash(at: tail.seq) == tail.hash
                    }
                }
            } catch {
                switch error {
                case .notALedger, .corrupted, .newerSchema: consistent = false
                default: throw error
                }
            }
            if consistent { return connection }
            guard attempt == 0 else { break }
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: path + suffix)
            }
        }
        throw .corrupted(path: path, detail: "the cache of \(record.description) could not be begun again")
    }

    /// Commits what the writer thread still has queued, then ends it.
    deinit {
        writer.stop()
    }

    /// Creates an empty file readable by its owner only, so the WAL and shared-memory files SQLite adds get the
    /// same mode.
    private static func createFile(at path: String) throws(LedgerError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .cannotOpen(path: path, detail: "cannot create folder \(folder): \(error.localizedDescription)")
            }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            if code == EEXIST { return }
            let detail = String(cString: strerror(code))
            if code == EROFS || code == EACCES {
                throw .readOnly(path: path, detail: detail)
            }
            throw .cannotOpen(path: path, detail: detail)
        }
        close(fd)
    }

    /// A read-only connection to an existing ledger, its identity checked; immutable when a plain read-only one
    /// cannot read (the `-shm` of WAL mode cannot be created beside the file).
    private static func openForReading(_ path: String, busyTimeout: Duration) throws(LedgerError)
        -> (connection: Connection, access: Connection.Access)
    {
        do {
            let connection = try Connection(path: path, access: .readOnly, busyTimeout: busyTimeout)
            try checkIdentity(connection)
            return (connection, .readOnly)
        } catch {
            switch error {
            case .cannotOpen, .readOnly:
                let connection = try Connection(path: path, access: .immutable, busyTimeout: busyTimeout)
                try checkIdentity(connection)
                return (connection, .immutable)
            default:
                throw error
            }
        }
    }

    /// Refuses files that are not ledgers: not SQLite, or SQLite of another application.
    private static func checkIdentity(_ connection: Connection) throws(LedgerError) {
        let applicationID = Int32(try connection.pragma("application_id") ?? "0") ?? 0
        if applicationID == Schema.applicationID { return }
        if applicationID != 0 {
            throw .notALedger(path: connection.path, detail: "SQLite application id \(applicationID)")
        }
        let tables = try connection.oneShotStatement("SELECT count(*) FROM sqlite_master")
        try tables.step()
        if tables.int64(0) > 0 {
            throw .notALedger(path: connection.path, detail: "an SQLite database of another application")
        }
    }

    /// How a commit reaches the disk: `full` syncs every commit (a ledger); `normal` syncs at checkpoints, so a
    /// power loss may lose the last commits but never corrupts the file (the cache of a ledger of record, which
    /// fetches again what it lost); `off` never syncs (a scratch ledger thrown away after use).
    enum Synchronous: String {
        case off = "0"
        case normal = "1"
        case full = "2"
    }

    /// Sets and reads back the pragmas the ledger's durability depends on.
    private static func configure(_ connection: Connection, readOnly: Bool, synchronous mode: Synchronous)
        throws(LedgerError)
    {
        let (level, name) = (mode.rawValue, "\(mode)".uppercased())
        if !readOnly {
            let mode = try connection.pragma("journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw .readOnly(
                    path: connection.path, detail: "cannot switch to WAL mode (journal mode is \(mode ?? "unknown"))")
            }
        }
        try connection.execute("PRAGMA synchronous = \(name); PRAGMA foreign_keys = ON", during: "configure")
        let synchronous = try connection.pragma("synchronous")
        guard synchronous == level else {
            throw .sqlite(
                path: connection.path, code: SQLITE_MISUSE,
                message: "synchronous reads back as \(synchronous ?? "nothing"), not \(name) (\(level))",
                operation: "configure")
        }
    }

    /// Runs `body` with a reader connection, taken from the pool or opened anew, and gives it back afterwards.
    func withReader<T>(_ body: (Connection) throws -> T) throws -> T {
        let pooled = idleReaders.withLock { readers in readers.popLast() }
        let connection: Connection
        if let pooled {
            connection = pooled
        } else {
            connection = try Connection(path: path, access: readerAccess, busyTimeout: options.busyTimeout)
            try connection.execute("PRAGMA query_only = 1", during: "open reader")
        }
        defer {
            let returned = connection
            idleReaders.withLock { readers in
                if readers.count < 4 { readers.append(returned) }
            }
        }
        return try body(connection)
    }

    /// Runs `body` with the writer connection, or refuses when the ledger was opened read-only.
    func withWriter<T: Sendable>(_ body: (Connection) throws(LedgerError) -> T) throws(LedgerError) -> T {
        try writer.withConnection(body)
    }

    /// Runs `job` in the writer thread's next transaction of the ledger of record and blocks until it has
    /// committed; `answer` turns its outcome into the caller's.
    func recordWrite<T: Sendable>(
        _ job: RecordJob, answer: @escaping @Sendable (RecordOutcome) throws(LedgerError) -> T
    ) throws(LedgerError) -> T {
        if options.readOnly {
            throw .readOnly(path: name, detail: "opened read-only")
        }
        let write = PendingWrite(record: job, answer: answer)
        writer.enqueue(.write(write))
        return try write.waitForResult()
    }

    /// Runs `job` in the writer thread's next transaction of the ledger of record, and returns once it has
    /// committed.
    func recordWrite<T: Sendable>(
        _ job: RecordJob, answer: @escaping @Sendable (RecordOutcome) throws(LedgerError) -> T
    ) async throws(LedgerError) -> T {
        if options.readOnly {
            throw .readOnly(path: name, detail: "opened read-only")
        }
        let write = PendingWrite(record: job, answer: answer)
        writer.enqueue(.write(write))
        return try await write.result()
    }
}
