import CSQLite
import Foundation

/// A prepared statement. Bound buffers are copied by SQLite (`SQLITE_TRANSIENT`), so no Swift pointer outlives
/// the call that binds it.
final class Statement {
    private let raw: OpaquePointer
    private unowned let connection: Connection

    init(_ raw: OpaquePointer, connection: Connection) {
        self.raw = raw
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(raw)
    }

    /// Makes the statement ready to run again. Bindings are kept: every caller binds all parameters anew.
    func reset() {
        sqlite3_reset(raw)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(raw, index, value)
    }

    func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(raw, index, value)
    }

    func double(_ column: Int32) -> Double {
        sqlite3_column_double(raw, column)
    }

    func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(raw, index, value, -1, SQLITE_TRANSIENT)
    }

    func bind(_ index: Int32, _ bytes: some ContiguousBytes) {
        _ = bytes.withUnsafeBytes { buffer -> Int32 in
            // A zero-length blob must still be a blob, not NULL: give SQLite a valid pointer.
            if buffer.count == 0 {
                return sqlite3_bind_zeroblob(raw, index, 0)
            }
            return sqlite3_bind_blob(raw, index, buffer.baseAddress, Int32(buffer.count), SQLITE_TRANSIENT)
        }
    }

    func bindNull(_ index: Int32) {
        sqlite3_bind_null(raw, index)
    }

    /// Advances to the next row; false when the statement is done.
    @discardableResult
    func step() throws(LedgerError) -> Bool {
        let rc = sqlite3_step(raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = connection.lastErrorMessage
            sqlite3_reset(raw)
            throw connection.error(code: rc, message: message, during: "step")
        }
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(raw, column)
    }

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(raw, column) == SQLITE_NULL
    }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(raw, column) else { return "" }
        let count = Int(sqlite3_column_bytes(raw, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func data(_ column: Int32) -> Data {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return Data() }
        return Data(bytes: pointer, count: count)
    }

    /// A 32-byte blob column as a digest; a blob of another length (only a tampered row has one) reads as zero,
    /// which `verify` then reports as a broken link.
    func digest(_ column: Int32) -> SHA256Digest {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count == 32, let pointer = sqlite3_column_blob(raw, column) else { return .zero }
        return SHA256Digest(copying: UnsafeRawBufferPointer(start: pointer, count: count))
    }

    func bind(_ index: Int32, _ digest: SHA256Digest) {
        _ = digest.withUnsafeBytes { buffer in
            sqlite3_bind_blob(raw, index, buffer.baseAddress, 32, SQLITE_TRANSIENT)
        }
    }
}

/// SQLite's "copy this buffer now" destructor, which the C macro cannot express in Swift.
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
