import CSQLite
import Foundation
import Testing

@testable import Ledger

/// A fresh folder under the system temporary folder, removed when the value goes away.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs SQL on a ledger file directly through libsqlite3, as an attacker or another tool would, bypassing
/// `EventStore`. Returns SQLite's error message, or nil on success.
@discardableResult
func rawSQL(_ path: String, _ sql: String) -> String? {
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK else {
        defer { sqlite3_close(db) }
        return String(cString: sqlite3_errmsg(db))
    }
    defer { sqlite3_close(db) }
    sqlite3_busy_timeout(db, 5000)
    var message: UnsafeMutablePointer<CChar>?
    if sqlite3_exec(db, sql, nil, nil, &message) != SQLITE_OK {
        let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
        sqlite3_free(message)
        return text
    }
    return nil
}

/// Reads one integer through libsqlite3 directly.
func rawInteger(_ path: String, _ sql: String) -> Int64? {
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK else { return nil }
    defer { sqlite3_close(db) }
    var statement: OpaquePointer?
    guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { return nil }
    defer { sqlite3_finalize(statement) }
    guard sqlite3_step(statement) == SQLITE_ROW else { return nil }
    return sqlite3_column_int64(statement, 0)
}

/// An event with a small JSON payload.
func event(_ type: String, _ fields: [String: Int] = [:]) throws -> NewEvent {
    try NewEvent(type: type, encoding: fields)
}

/// A ledger holding `count` events spread over streams "a" and "b" (one event per append).
func ledger(with count: Int, in folder: TemporaryFolder, name: String = "test.ledger") throws -> EventStore {
    let store = try EventStore(path: folder.path(name))
    for index in 0..<count {
        try store.append([try event("Step", ["n": index])], to: index % 2 == 0 ? "a" : "b")
    }
    return store
}
