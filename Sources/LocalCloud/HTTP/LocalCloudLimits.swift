import Foundation

/// How much one emulator holds: request bodies read into memory, stored jobs and their tasks, stored log entries.
///
/// A request that would pass a bound is refused with Google's error shape naming the bound (413 for a body,
/// 429 RESOURCE_EXHAUSTED for a store), so a runaway client fails loudly instead of exhausting memory or disk.
/// The defaults hold the largest workloads benchmarked (10,000 jobs; a 1,000-way ForEach that logs) several
/// times over. Object uploads (media, resumable and multipart) are not bounded here: the Storage side writes
/// them to files.
public struct LocalCloudLimits: Sendable, Equatable {
    /// Largest JSON or form request body read into memory, in bytes (default 8 MiB; `emulator --max-request-bytes`).
    public var maxRequestBodyBytes: Int
    /// Most jobs stored at once, whatever their state (default 50,000; `emulator --max-jobs`). Deleted jobs free
    /// their place.
    public var maxJobs: Int
    /// Most tasks of all stored jobs together (default 500,000; `emulator --max-tasks`).
    public var maxTasks: Int
    /// Most bytes of all stored job bodies together (default 1 GiB; `emulator --max-job-bytes`).
    public var maxJobBytes: Int
    /// Most log entries kept (default 1,000,000; `emulator --max-log-entries`); lines past it are dropped and
    /// each job whose lines were dropped gets one ERROR entry saying so.
    public var maxLogEntries: Int
    /// Most bytes of log text kept (default 512 MiB; `emulator --max-log-bytes`).
    public var maxLogBytes: Int
    /// Most long-running operations kept (default 100,000); past it the oldest finished ones are forgotten.
    public var maxOperations: Int

    /// Bounds with the defaults above; pass any to change it.
    public init(
        maxRequestBodyBytes: Int = 8 << 20, maxJobs: Int = 50_000, maxTasks: Int = 500_000,
        maxJobBytes: Int = 1 << 30, maxLogEntries: Int = 1_000_000, maxLogBytes: Int = 512 << 20,
        maxOperations: Int = 100_000
    ) {
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxJobs = maxJobs
        self.maxTasks = maxTasks
        self.maxJobBytes = maxJobBytes
        self.maxLogEntries = maxLogEntries
        self.maxLogBytes = maxLogBytes
        self.maxOperations = maxOperations
    }

    /// The bounds as documented: `--max-jobs 50000` and so on.
    public static let `default` = LocalCloudLimits()
}
