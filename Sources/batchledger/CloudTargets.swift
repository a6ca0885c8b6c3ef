import Engine
import Foundation
import GoogleCloud
import LocalCloud

/// The engine's `TargetResolver` in the CLI: a `local` backend starts an embedded LocalCloud for the execution
/// (stopped, its folder removed, when the engine releases it); `endpoint` and `google` come from the backend and
/// the environment.
struct CLITargets: TargetResolver {
    let environment: [String: String]
    let transport: any HTTPTransport = CurlTransport()

    func target(for backend: Backend) async throws -> ResolvedTarget {
        switch backend.kind {
        case .local, .endpoint:
            let (target, embedded) = try await CloudTargets.recorded(
                backend, environment: environment, transport: transport)
            return ResolvedTarget(target: target) { if let embedded { await embedded.shutdown() } }
        default:
            let (target, hasCredentials) = try CloudTargets.google(environment: environment, transport: transport)
            return ResolvedTarget(target: target, hasDefaultCredentials: hasCredentials)
        }
    }
}

/// Builds where Google calls go, for `run` (from its options) and for `recover` (from a recorded backend).
enum CloudTargets {
    /// The embedded LocalCloud, started for this process on 127.0.0.1. It answers only requests that carry a random
    /// bearer token made for this run, which only the engine holds: other local users and the jobs themselves
    /// (which run on this machine) cannot call it. Stop it with `shutdown()`, awaited, which removes its folder.
    static func local(transport: any HTTPTransport, environment: [String: String]) async throws -> (
        CloudTarget, LocalCloud
    ) {
        let timing = try timing(environment, default: .responsive)
        let token = LocalCloud.makeBearerToken()
        // Jobs keep the host's network, as on Batch (pip installs, outbound calls): the emulator's own API is no
        // use to them without the token, which only this process holds.
        let cloud = try await LocalCloud.start(
            LocalCloudConfiguration(
                host: "127.0.0.1", port: 0, stateDirectory: nil, requiredBearerToken: token,
                jobIsolation: JobIsolation(network: .host)))
        let target = CloudTarget.google(
            backend: Backend(kind: .local, endpoint: cloud.endpoint.absoluteString),
            endpoints: GoogleEndpoints(base: cloud.endpoint), defaultCredentials: StaticTokenCredentials(token: token),
            transport: EmbeddedEmulatorTransport(base: transport, endpoint: cloud.endpoint, token: token),
            timing: timing)
        return (target, cloud)
    }

    /// A standalone emulator (or any base URL serving all four APIs): tasks without a `serviceAccount` call it
    /// without credentials.
    static func endpoint(_ endpoints: GoogleEndpoints, transport: any HTTPTransport, environment: [String: String])
        throws -> CloudTarget
    {
        CloudTarget.google(
            backend: Backend(kind: .endpoint, endpoint: endpoints.batch.absoluteString), endpoints: endpoints,
            defaultCredentials: AnonymousCredentials(), transport: transport,
            timing: try timing(environment, default: .standard))
    }

    /// Google, with Application Default Credentials when there are any.
    static func google(
        environment: [String: String], transport: any HTTPTransport
    ) throws -> (target: CloudTarget, hasCredentials: Bool) {
        let resolved = try GoogleEndpoints.resolve(override: nil, environment: environment)
        let found = try ApplicationDefaultCredentials.find(environment: environment, transport: transport)
        let target = CloudTarget.google(
            backend: Backend(kind: .google, endpoint: nil), endpoints: resolved.endpoints,
            defaultCredentials: found?.provider, transport: transport,
            timing: try timing(environment, default: .standard))
        return (target, found != nil)
    }

    /// The target a recorded execution used. A `--local` run's embedded emulator died with its process: a new one
    /// is started, which knows none of the old jobs (they are reconciled as unknown to Batch).
    static func recorded(_ backend: Backend, environment: [String: String], transport: any HTTPTransport) async throws
        -> (CloudTarget, LocalCloud?)
    {
        switch backend.kind {
        case .local:
            let (target, cloud) = try await local(transport: transport, environment: environment)
            return (target, cloud)
        case .endpoint:
            guard let text = backend.endpoint, let url = URL(string: text) else {
                throw EngineError.configuration("the recorded endpoint \(backend.endpoint ?? "(none)") is not a URL")
            }
            return (try endpoint(GoogleEndpoints(base: url), transport: transport, environment: environment), nil)
        default:
            return (try google(environment: environment, transport: transport).target, nil)
        }
    }

    /// `BATCHLEDGER_TIMING`: `standard` (Kestra's intervals, Google's quotas) or `responsive` (for an endpoint
    /// that answers at once: polls every 20 ms, no log grace); `preferred` when it is not set.
    static func timing(_ environment: [String: String], default preferred: Timing) throws -> Timing {
        var timing = preferred
        if let name = environment["BATCHLEDGER_TIMING"], !name.isEmpty {
            guard let named = Timing.named(name) else {
                throw EngineError.configuration(
                    "BATCHLEDGER_TIMING=\(TerminalText.escaped(String(name.prefix(40)))): not a timing; "
                        + "set it to standard or responsive, or unset it")
            }
            timing = named
        }
        if let text = environment[leaseTTLVariable], !text.isEmpty {
            guard let seconds = leaseTTL(text) else {
                throw EngineError.configuration(
                    "\(leaseTTLVariable)=\(TerminalText.escaped(String(text.prefix(40)))): not a lease TTL; "
                        + "give a whole number of seconds from \(leaseTTLRange.lowerBound) to "
                        + "\(leaseTTLRange.upperBound), or unset it")
            }
            timing.setLeaseTTL(Double(seconds))
        }
        return timing
    }

    /// The variable that sets how long a lease of another host's process lasts without a heartbeat.
    static let leaseTTLVariable = "BATCHLEDGER_LEASE_TTL"
    static let leaseTTLRange = 1...3600

    /// `text` as a lease TTL in whole seconds, or nil when it is not one in range.
    static func leaseTTL(_ text: String) -> Int? {
        guard text.count <= 5, let seconds = Int(text), leaseTTLRange.contains(seconds) else { return nil }
        return seconds
    }
}
