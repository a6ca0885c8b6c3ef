import Foundation

/// Everything a template can read: its variables and the services behind `secret()`, `now()`, `uuid()` and
/// `read()`. The engine does no I/O of its own; `read()` goes through `readNamespaceFile`.
///
/// The variables a task sees follow Kestra: `flow` (id, namespace, revision, tenantId), `execution` (id,
/// startDate, originalId), `task` (id, type), `taskrun` (id, startDate, attemptsCount, parentId, value,
/// iteration), `inputs`, `outputs` (`outputs.<taskId>.vars.<key>`), `vars`, `labels`, `envs` (see
/// `environmentVariables(from:prefix:)`), and inside script tasks `workingDir`, `outputDir`, `bucketPath`.
/// `RunVariables` builds that map.
public struct TemplateContext: Sendable {
    /// Root variables, looked up by name.
    public var variables: OrderedMap
    /// Where `secret(name)` looks.
    public var secrets: SecretStore
    /// The current time, for `now()`.
    public var clock: @Sendable () -> Date
    /// A new identifier, for `uuid()`.
    public var makeUUID: @Sendable () -> String
    /// Reads a namespace file for `read(path)`; nil when namespace files are not available.
    public var readNamespaceFile: (@Sendable (String) throws -> String)?
    /// The zone `now()`, `date` and `dateAdd` use when no `timeZone` argument is given.
    public var timeZone: TimeZone
    /// Depth, size and time bounds.
    public var limits: TemplateLimits

    /// A context over `variables`; by default no secrets, the system clock, random UUIDs, UTC, no namespace files.
    public init(
        variables: OrderedMap = [:],
        secrets: SecretStore = SecretStore(),
        clock: @escaping @Sendable () -> Date = { Date() },
        makeUUID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() },
        readNamespaceFile: (@Sendable (String) throws -> String)? = nil,
        timeZone: TimeZone = TimeZone(identifier: "UTC")!,
        limits: TemplateLimits = TemplateLimits()
    ) {
        self.variables = variables
        self.secrets = secrets
        self.clock = clock
        self.makeUUID = makeUUID
        self.readNamespaceFile = readNamespaceFile
        self.timeZone = timeZone
        self.limits = limits
    }

    /// Kestra's `envs`: the process environment variables whose name starts with `prefix` (`ENV_` since Kestra
    /// 0.23), with the prefix removed and the rest lower-cased (`ENV_REGION` → `envs.region`), sorted by name.
    public static func environmentVariables(from environment: [String: String], prefix: String = "ENV_")
        -> TemplateValue
    {
        var map = OrderedMap()
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) {
            let key = String(name.dropFirst(prefix.count)).lowercased()
            guard !key.isEmpty else { continue }
            map[key] = .string(value)
        }
        return .map(map)
    }
}
