import Foundation

/// What a job's bubblewrap sandbox lets its processes reach besides their own folders.
///
/// Always: the host's file system read-only; the job's volumes and its private `/tmp` writable; the emulator's
/// data and state folders, the temporary folder and the home folder of the emulator's user replaced by empty
/// folders; a private process table; no capabilities; files created with umask 077.
public struct JobIsolation: Sendable, Equatable {
    /// The network a job sees.
    public enum Network: String, Sendable, Equatable, CaseIterable {
        /// Only a private loopback: neither the emulator's API nor the internet (the default).
        case none
        /// The host's network, as a job on Batch has one; the job can then also call the emulator's API on
        /// 127.0.0.1 (and so read or delete other jobs and objects unless `--require-auth` is set).
        case host
    }

    /// The network a job sees (default `.none`; `emulator --job-network host` to share the host's).
    public var network: Network

    /// Isolation with the given network.
    public init(network: Network = .none) {
        self.network = network
    }

    /// No network.
    public static let `default` = JobIsolation()
}
