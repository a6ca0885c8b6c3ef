import CSQLite

/// Everything that can go wrong with a ledger, each case phrased so that the user knows what failed, where and
/// what to do. Bound values (payloads, which may hold user data) are never part of a description.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file exists but is not a BatchLedger ledger (another SQLite database, or not SQLite at all).
    case notALedger(path: String, detail: String)
    /// Another process held the write lock for longer than the busy timeout.
    case locked(path: String, operation: String)
    /// The disk (or the database's size limit) is full; the transaction was rolled back.
    case diskFull(path: String)
    /// The file or its folder cannot be written.
    case readOnly(path: String, detail: String)
    /// The file or its folder cannot be opened at all.
    case cannotOpen(path: String, detail: String)
    /// A command that only reads was pointed at a path where no ledger exists (nothing was created there).
    case noLedger(path: String)
    /// SQLite found the file's structure damaged.
    case corrupted(path: String, detail: String)
    /// The ledger was written by a newer BatchLedger whose schema this version does not know.
    case newerSchema(path: String, found: Int, supported: Int)
    /// `append` was given an expected stream version that is no longer current.
    case versionConflict(stream: String, expected: ExpectedVersion, actual: Int64)
    /// An idempotency key was reused for a different batch of events.
    case idempotencyKeyReused(key: String, stream: String)
    /// The database refused to change or remove a recorded event.
    case immutable(path: String, detail: String)
    /// An argument the caller passed cannot be stored (for example an empty batch or an empty stream name).
    case invalidArgument(String)
    /// A projection's cached state could not be decoded or encoded.
    case projection(name: String, detail: String)
    /// Another process took over the lease of an execution this process was driving.
    case leaseLost(stream: String)
    /// The ledger of record (a shared database) failed or cannot be reached; the text says what and what to do.
    case ledgerOfRecord(String)
    /// Any other SQLite failure, with its result code.
    case sqlite(path: String, code: Int32, message: String, operation: String)

    public var description: String {
        switch self {
        case .notALedger(let path, let detail):
            return "\(path) is not a BatchLedger ledger (\(detail)); pass --ledger with the path of a ledger file, "
                + "or a new path to create one"
        case .locked(let path, let operation):
            return "\(path) is locked by another process (\(operation) waited past the busy timeout); "
                + "wait for the other batchledger process to finish, or stop it, then retry"
        case .diskFull(let path):
            return "\(path): disk full, the last write was rolled back and nothing was half-written; "
                + "free space on that file system, then retry"
        case .readOnly(let path, let detail):
            return "\(path) cannot be written (\(detail)); check the file's permissions and that its file system "
                + "is not mounted read-only, or pass --ledger with a writable path"
        case .cannotOpen(let path, let detail):
            return "\(path) cannot be opened (\(detail)); check that its folder exists and is accessible"
        case .noLedger(let path):
            return "no ledger at \(path): run a flow first or pass --ledger"
        case .corrupted(let path, let detail):
            return "\(path) is corrupted (\(detail)); restore it from a backup or an export "
                + "(batchledger import), and run batchledger verify on the result"
        case .newerSchema(let path, let found, let supported):
            return "\(path) was written by a newer BatchLedger (schema version \(found); this version knows up to "
                + "\(supported)); upgrade batchledger to read it"
        case .versionConflict(let stream, let expected, let actual):
            return "stream \(stream) is at version \(actual), not \(expected): another writer appended first; "
                + "reload the stream and decide again"
        case .idempotencyKeyReused(let key, let stream):
            return "idempotency key \(key) was already used for a different batch of events in stream \(stream)"
        case .immutable(let path, let detail):
            return "\(path): \(detail); the ledger is append-only, record a new event instead"
        case .invalidArgument(let detail):
            return "invalid ledger append: \(detail)"
        case .projection(let name, let detail):
            return "projection \(name): \(detail); run batchledger verify, which rebuilds projections from the log"
        case .leaseLost(let stream):
            return "execution \(stream) is now driven by another process (its lease was taken over); this process "
                + "stopped writing to it"
        case .ledgerOfRecord(let detail):
            return detail
        case .sqlite(let path, let code, let message, let operation):
            return "\(path): SQLite error \(code) during \(operation): \(message)"
        }
    }

    /// Maps an SQLite result code to the case a user can act on.
    static func classify(code: Int32, message: String, path: String, during operation: String) -> LedgerError {
        switch code & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return .locked(path: path, operation: operation)
        case SQLITE_FULL:
            return .diskFull(path: path)
        case SQLITE_READONLY:
            return .readOnly(path: path, detail: message)
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH:
            return .cannotOpen(path: path, detail: message)
        case SQLITE_CORRUPT:
            return .corrupted(path: path, detail: message)
        case SQLITE_NOTADB:
            return .notALedger(path: path, detail: "not an SQLite database")
        case SQLITE_CONSTRAINT where message.contains("immutable"):
            return .immutable(path: path, detail: message)
        default:
            return .sqlite(path: path, code: code, message: message, operation: operation)
        }
    }
}
