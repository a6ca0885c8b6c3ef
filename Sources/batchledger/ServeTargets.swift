import Engine
import Foundation
import GoogleCloud
import LocalCloud

/// The engine's `TargetResolver` in `serve`: a `local` backend is one embedded LocalCloud for the whole server
/// (started at the first execution that needs it, stopped by `shutdown`), so the executions a server runs share
/// it; `endpoint` and `google` are resolved as the CLI does.
struct ServeTargets: TargetResolver {
    let environment: [String: String]
    let embedded = EmbeddedCloud()

    func target(for backend: Backend) async throws -> ResolvedTarget {
        guard backend.kind == .local else {
            return try await CLITargets(environment: environment).target(for: backend)
        }
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
