import Foundation

/// How to run a LocalCloud emulator.
public struct LocalCloudConfiguration: Sendable {
    /// Address to listen on (default 127.0.0.1); any other than a loopback address needs `requireAuth`.
    public var host: String
    /// Port to listen on; 0 picks a free one (read it back from `LocalCloud.endpoint`).
    public var port: Int
    /// Where jobs, objects and logs are kept across restarts (made private, `0700`; a folder of another user or a
    /// shared one such as /tmp is refused); nil keeps them in a new `0700` temporary folder that `shutdown()`
    /// removes.
    public var stateDirectory: URL?
    /// Time a job spends in QUEUED and SCHEDULED before it runs (stands for VM boot); zero by default.
    public var startupDelay: Duration
    /// Faults to inject (see `FaultPlan`).
    public var faults: FaultPlan
    /// Refuse requests without a token issued by `/token` for an assertion signed by one of the keys below.
    public var requireAuth: Bool
    /// Service-account key files whose keys verify JWT assertions when `requireAuth` is set.
    public var serviceAccountKeyFiles: [URL]
    /// A secret every request must carry as `Authorization: Bearer TOKEN` (a call to `/token` too; tokens it
    /// issues are accepted afterwards). The embedded emulator of `run --local` gets a random one per run
    /// (`LocalCloud.makeBearerToken()`) that only the engine holds. Never printed.
    public var requiredBearerToken: String?
    /// Cache for the Python environment that stands in for Kestra's Python images
    /// (default `~/.cache/batchledger/python`), kept outside the state directory and shared.
    public var pythonCacheDirectory: URL
    /// How much the emulator holds: request bodies, stored jobs and tasks, stored log entries.
    public var limits: LocalCloudLimits
    /// What a job's sandbox lets it reach (no network by default).
    public var jobIsolation: JobIsolation
    /// The service accounts `generateAccessToken` lets callers impersonate; any other is refused with 403
    /// PERMISSION_DENIED. Nil (the default) lets them impersonate any well-formed account.
    public var impersonableAccounts: Set<String>? = nil

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
        requiredBearerToken: String? = nil,
        pythonCacheDirectory: URL = LocalCloudConfiguration.defaultPythonCacheDirectory,
        limits: LocalCloudLimits = .default, jobIsolation: JobIsolation = .default
    ) {
        self.limits = limits
        self.jobIsolation = jobIsolation
        self.requiredBearerToken = requiredBearerToken
        self.host = host
        self.port = port
        self.stateDirectory = stateDirectory
        self.startupDelay = startupDelay
        self.faults = faults
        self.requireAuth = requireAuth
        self.serviceAccountKeyFiles = serviceAccountKeyFiles
        self.pythonCacheDirectory = pythonCacheDirectory
    }

    /// True when `host` is a loopback address (127.0.0.0/8, ::1, `localhost`): only processes of this machine can
    /// connect. Any other address, a wildcard (`0.0.0.0`, `::`) or a host name, may be reachable from elsewhere.
    public static func isLoopback(host: String) -> Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
            // ::ffff:127.x.y.z, an IPv4 loopback address written as IPv6.
            return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
        }
        return false
    }

    /// Why this configuration must not start, or nil: an emulator reachable from other machines must check who
    /// calls it.
    var refusal: String? {
        if !Self.isLoopback(host: host) && !requireAuth && requiredBearerToken == nil {
            return "listening on \(host.count <= 100 ? host : String(host.prefix(100)) + "…"), which is not a loopback "
                + "address, needs --require-auth with --service-account-key FILE (anyone who can reach the port "
                + "could otherwise run commands on this machine); or listen on 127.0.0.1"
        }
        return nil
    }
}
