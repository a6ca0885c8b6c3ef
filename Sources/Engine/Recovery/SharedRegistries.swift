import Foundation

/// One service registry per endpoint, shared by the executions one engine drives there (started, forked or
/// resumed), so that their jobs are watched together (a `local` execution gets its own emulator, so it is not
/// shared).
actor SharedRegistries {
    private var registries: [String: ServiceRegistry] = [:]

    func registry(for target: CloudTarget) -> ServiceRegistry? {
        guard target.backend.kind != .local else { return nil }
        let key = target.backend.kind.rawValue + "|" + (target.backend.endpoint ?? "")
        if let existing = registries[key] { return existing }
        let registry = ServiceRegistry(sharedBy: target.world, timing: target.timing)
        registries[key] = registry
        return registry
    }
}
