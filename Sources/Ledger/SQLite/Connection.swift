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

    /// Opens `path`, which must already exist (the store creates it with mode 0600 first).
    init(path: String, readOnly: Bool, busyTimeout: Duration) throws(LedgerError) {
        self.path = path
        var db: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX
            | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &db, flags, nil)
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

    var changes: Int {
        Int(sqlite3_changes(handle))
    }

    func error(code: Int32, message: String? = nil, during operation: String) -> LedgerError {
        LedgerError.classify(code: code, message: message ?? lastErrorMessage, path: path, during: operation)
    }
}
