import Foundation

/// Blocking work started from Swift concurrency: it runs on a thread of its own, and the caller is resumed with its
/// outcome. A call that waits long (a ledger of record that does not answer, tried again for a minute) then holds
/// that thread, never one of the few cooperative threads every task of the process shares.
public enum OwnThread {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = "batchledger-blocking"
            thread.start()
        }
    }
}

extension EventStore {
    /// `catchUp()` on a thread of its own (see `OwnThread`).
    @discardableResult
    public func caughtUp() async throws(LedgerError) -> Int64 {
        do {
            return try await OwnThread.run { try self.catchUp() }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .invalidArgument("\(error)")
        }
    }
}
