import CSQLite
import Foundation

/// One SQLite connection with a cache of prepared statements.
///
/// Not thread-safe on its own: it is `@unchecked Sendable` only so that `EventStore` can hand it between threads
/// through its locks (the writer behind a mutex, readers through a pool), and one thread uses it at a time.
/// Every C pointer stays inside this type and `Statement`; both free their handles when they go away.
final class Connection: @unchecked Sendable {
    let path: String
    private(set) var handle: OpaquePointer?
    private var statements: [String: Statement] = [:]

    /// How a connection opens its file.
    enum Access: Sendable, Equatable {
        /// Reads and writes (the file must exist: the store creates it with mode 0600 first).
        case readWrite
        /// `SQLITE_OPEN_READONLY`: never writes the database (SQLite may still create `-wal` and `-shm` beside it,
        /// when the folder allows, to share the write-ahead log with writers).
        case readOnly
        /// `file:PATH?immutable=1`, read-only: for a ledger on read-only media, where the `-shm` that WAL mode
        /// needs cannot be created. SQLite then takes no locks and ignores any `-wal`: only a ledger that no
        /// process writes is read this way.
        case immutable
    }

    /// Opens `path`, which must already exist; never creates it (no `SQLITE_OPEN_CREATE`).
    init(path: String, access: Access, busyTimeout: Duration) throws(LedgerError) {
        self.path = path
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        var name = path
        switch access {
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .immutable:
            flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI
            name = Self.immutableURI(path)
        }
        let rc = sqlite3_open_v2(name, &db, flags, nil)
        handle = db
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            handle = nil
            throw LedgerError.classify(code: rc, message: message, path: path, during: "open")
        }
        let milliseconds =
            busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: milliseconds))
    }

    convenience init(path: String, readOnly: Bool, busyTimeout: Duration) throws(LedgerError) {
        try self.init(path: path, access: readOnly ? .readOnly : .readWrite, busyTimeout: busyTimeout)
    }

    /// `file:` URI of `path` with `immutable=1`; every byte outside the URI's unreserved set and `/` is
    /// percent-encoded, so `?`, `#` and `%` in a path stay part of the path.
    static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var uri = "file:"
        for byte in absolute.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "/"):
                uri.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                uri += String(format: "%%%02X", byte)
            }
        }
        return uri + "?immutable=1"
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements that take no arguments and return no rows.
    func execute(_ sql: String, during operation: String = "execute") throws(LedgerError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw error(code: rc, message: message, during: operation)
        }
    }

    /// A prepared statement for `sql`, reused across calls and reset before it is handed out.
    func statement(_ sql: String) throws(LedgerError) -> Statement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else {
            sqlite3_finalize(raw)
            throw error(code: rc, message: lastErrorMessage, during: "prepare")
        }
        let statement = Statement(raw, connection: self)
        statements[sql] = statement
        return statement
    }

    /// A statement prepared for one use (for SQL built at run time, such as audit filters).
    func oneShotStatement(_ sql: String) throws(LedgerError) -> Statement {
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &raw, nil)
        guard rc == SQLITE_OK, let raw else {
            sqlite3_finalize(raw)
            throw error(code: rc, message: lastErrorMessage, during: "prepare")
        }
        return Statement(raw, connection: self)
    }

    /// Reads one integer or text pragma.
    func pragma(_ name: String) throws(LedgerError) -> String? {
        let statement = try oneShotStatement("PRAGMA \(name)")
        guard try statement.step() else { return nil }
        return statement.text(0)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back when it throws or the commit fails.
    func immediateTransaction<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T {
        try execute("BEGIN IMMEDIATE", during: "begin transaction")
        do {
            let result = try body()
            try execute("COMMIT", during: "commit")
            return result
        } catch {
            if sqlite3_get_autocommit(handle) == 0 {
                sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
            }
            throw error
        }
    }

    /// Runs `body` inside a read transaction, so every read in it sees one snapshot.
    func readTransaction<T>(_ body: () throws(LedgerError) -> T) throws(LedgerError) -> T {
        try execute("BEGIN DEFERRED", during: "begin read")
        defer { sqlite3_exec(handle, "COMMIT", nil, nil, nil) }
        return try body()
    }

    var lastErrorMessage: String {
        String(cString: sqlite3_errmsg(handle))
    }

    /// Whether a transaction is open (false after SQLite rolled one back on its own, as on a full disk).
    var isInTransaction: Bool {
        sqlite3_get_autocommit(handle) == 0
    }

    var changes: Int {
        Int(sqlite3_changes(handle))
    }

    func error(code: Int32, message: String? = nil, during operation: String) -> LedgerError {
        LedgerError.classify(code: code, message: message ?? lastErrorMessage, path: path, during: operation)
    }
}
