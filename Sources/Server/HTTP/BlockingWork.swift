import Foundation
import NIOPosix

/// Work that blocks a thread (SQLite reads, file reads), run on a small pool of its own threads instead of the
/// cooperative ones that drive executions. The pool is fixed (4 threads, the ledger's pool of idle readers), so a
/// burst of requests queues here rather than spawning threads and opening a reader connection each.
enum BlockingWork {
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
