import Engine
import Foundation
import GoogleCloud
import LocalCloud

/// The engine's `TargetResolver` in `serve`: every execution of one backend shares one target, as a server
/// should: one HTTP transport with its kept connections, one world with its log allowance per project. A `local`
/// backend is one embedded LocalCloud for the whole server (stopped by `shutdown`); `endpoint` and `google` are
/// resolved once each, as the CLI resolves them.
struct ServeTargets: TargetResolver {
    let environment: [String: String]
    let embedded = EmbeddedCloud()
    private let resolved: ResolvedTargets

    init(environment: [String: String]) {
        self.environment = environment
        resolved = ResolvedTargets(resolver: CLITargets(environment: environment))
    }

    func target(for backend: Backend) async throws -> ResolvedTarget {
        guard backend.kind == .local else { return try await resolved.target(for: backend) }
        return ResolvedTarget(target: try await embedded.target(environment: environment))
    }

    /// Starts the embedded LocalCloud now when `backend` is local (before the server accepts work).
    func prepare(_ backend: Backend) async throws {
        if backend.kind == .local { _ = try await embedded.target(environment: environment) }
    }

    /// Stops the embedded LocalCloud, when one was started (its jobs stop with it).
    func shutdown() async {
        await embedded.shutdown()
    }
}

/// The server's one embedded LocalCloud.
actor EmbeddedCloud {
    private var started: (target: CloudTarget, cloud: LocalCloud)?
    private let transport: any HTTPTransport = CurlTransport()

    func target(environment: [String: String]) async throws -> CloudTarget {
        if let started { return started.target }
        // Detached: a task started inside the server's service group inherits its graceful shutdown, and the
        // emulator's own server would stop at SIGTERM, under executions that are still being driven.
        let transport = transport
        let made = try await Task.detached {
            try await CloudTargets.local(transport: transport, environment: environment)
        }.value
        started = made
        return made.0
    }

    func shutdown() async {
        await started?.cloud.shutdown()
        started = nil
    }
}

/// The targets of `endpoint` and `google` backends, resolved once per backend and kept: releasing one does
/// nothing (nothing was started for it).
actor ResolvedTargets {
    private let resolver: CLITargets
    private var known: [String: ResolvedTarget] = [:]

    init(resolver: CLITargets) {
        self.resolver = resolver
    }

    func target(for backend: Backend) async throws -> ResolvedTarget {
        let key = "\(backend.kind.rawValue) \(backend.endpoint ?? "")"
        if let target = known[key] { return target }
        var target = try await resolver.target(for: backend)
        target.release = {}
        known[key] = target
        return target
    }
}
