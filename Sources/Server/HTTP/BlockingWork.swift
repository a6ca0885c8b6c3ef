import Dispatch

/// Runs work that blocks (a whole-ledger check, reading a file) on a Dispatch worker thread, so that the caller
/// suspends instead of holding one of the few threads of Swift's cooperative pool.
enum BlockingWork {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result(catching: body))
            }
        }
    }
}
