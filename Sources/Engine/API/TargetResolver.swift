import Foundation

/// Where an execution's Google calls go, given by the host: the engine knows backends by kind ("local",
/// "endpoint", "google") but starts no emulator itself, so a host that offers `local` (the CLI, with its embedded
/// LocalCloud) provides it here. Recovery asks once per recorded execution; `release` ends what was started.
public protocol TargetResolver: Sendable {
    /// The target for `backend`: a recorded one (recover, resume, fork) or the one a request chose (`run`).
    func target(for backend: Backend) async throws -> ResolvedTarget
}

/// A target and what to do when the execution is done with it.
public struct ResolvedTarget: Sendable {
    public var target: CloudTarget
    /// False when tasks without a `serviceAccount` have no credentials there (Google without Application Default
    /// Credentials): a flow whose task runners name none cannot run.
    public var hasDefaultCredentials: Bool
    /// Stops what resolving started (an embedded emulator, and its folder), awaited however the execution ended.
    public var release: @Sendable () async -> Void

    public init(
        target: CloudTarget, hasDefaultCredentials: Bool = true, release: @escaping @Sendable () async -> Void = {}
    ) {
        self.target = target
        self.hasDefaultCredentials = hasDefaultCredentials
        self.release = release
    }
}

extension TargetResolver {
    /// Runs `body` on the target for `backend`, and releases it however `body` ends.
    func using<T: Sendable>(
        _ backend: Backend, _ body: (ResolvedTarget) async throws -> T
    ) async throws -> T {
        let resolved = try await target(for: backend)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(resolved))
        } catch {
            result = .failure(error)
        }
        // Released even when the execution was cancelled (a kill): an embedded emulator still stops cleanly.
        await Task.detached { await resolved.release() }.value
        return try result.get()
    }
}
