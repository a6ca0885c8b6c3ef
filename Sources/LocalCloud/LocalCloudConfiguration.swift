import Foundation

/// How to run a LocalCloud emulator.
public struct LocalCloudConfiguration: Sendable {
    /// Address to listen on (default 127.0.0.1).
    public var host: String
    /// Port to listen on; 0 picks a free one (read it back from `LocalCloud.endpoint`).
    public var port: Int
    /// Where jobs, objects and logs are kept across restarts; nil keeps them in a temporary folder that
    /// `shutdown()` removes.
    public var stateDirectory: URL?
    /// Time a job spends in QUEUED and SCHEDULED before it runs (stands for VM boot); zero by default.
    public var startupDelay: Duration
    /// Faults to inject (see `FaultPlan`).
    public var faults: FaultPlan
    /// Refuse requests without a token issued by `/token` for an assertion signed by one of the keys below.
    public var requireAuth: Bool
    /// Service-account key files whose keys verify JWT assertions when `requireAuth` is set.
    public var serviceAccountKeyFiles: [URL]
    /// Cache for the Python environment that stands in for Kestra's Python images
    /// (default `~/.cache/batchledger/python`), kept outside the state directory and shared.
    public var pythonCacheDirectory: URL

    /// The default Python cache folder: `$XDG_CACHE_HOME/batchledger/python` or `~/.cache/batchledger/python`.
    public static var defaultPythonCacheDirectory: URL {
        if let xdg = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("batchledger/python")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/batchledger/python")
    }

    /// A configuration; every argument has the fast, anonymous default.
    public init(
        host: String = "127.0.0.1", port: Int = 0, stateDirectory: URL? = nil, startupDelay: Duration = .zero,
        faults: FaultPlan = .none, requireAuth: Bool = false, serviceAccountKeyFiles: [URL] = [],
        pythonCacheDirectory: URL = LocalCloudConfiguration.defaultPythonCacheDirectory
    ) {
        self.host = host
        self.port = port
        self.stateDirectory = stateDirectory
        self.startupDelay = startupDelay
        self.faults = faults
        self.requireAuth = requireAuth
        self.serviceAccountKeyFiles = serviceAccountKeyFiles
        self.pythonCacheDirectory = pythonCacheDirectory
    }
}
