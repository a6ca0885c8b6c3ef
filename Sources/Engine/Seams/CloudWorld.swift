import Foundation
import GoogleCloud

/// The outside world an execution acts on: for each identity a task runs as, Batch, Cloud Storage and the task
/// logs of a project. `GoogleWorld` is Google (or any endpoint that speaks its APIs); decision replay gives a
/// world made of a recorded history. The engine asks nothing else of the outside world.
public protocol CloudWorld: Sendable {
    /// The services for tasks that run as `identity`.
    func services(for identity: Identity) async throws -> WorldServices

    /// Draws the world's per-project quotas (Cloud Logging's reads) from `allowance` too, which the other
    /// processes of the same ledger share, so that together they keep to each quota.
    func shareQuotas(through allowance: any SharedRequestAllowance) async
}

extension CloudWorld {
    /// A world without quotas to keep (a recorded history) shares none.
    public func shareQuotas(through allowance: any SharedRequestAllowance) async {}
}

/// Who a task acts as: its runner's (rendered) `serviceAccount` JSON, or the default credentials, and the
/// service account those impersonate when `impersonatedServiceAccount` is set.
public struct Identity: Sendable {
    public var serviceAccountJSON: String?
    public var scopes: [String]
    /// Names the property in errors ("the serviceAccount of task t").
    public var origin: String
    /// The email of the service account every call of the task is made as, with a token the base credentials
    /// obtain from the IAM Credentials API.
    public var impersonatedServiceAccount: String?

    public init(
        serviceAccountJSON: String?, scopes: [String], origin: String, impersonatedServiceAccount: String? = nil
    ) {
        self.serviceAccountJSON = serviceAccountJSON
        self.scopes = scopes
        self.origin = origin
        self.impersonatedServiceAccount = impersonatedServiceAccount
    }
}

/// The services of one identity.
public struct WorldServices: Sendable {
    /// Tells identities apart (a digest, never the key itself).
    public var key: String
    public var jobs: any BatchJobs
    public var storage: any ObjectStorage
    /// The task logs of a project, shared by every job of that project read through this world.
    public var logs: @Sendable (_ project: String) async -> any TaskLogSource

    public init(
        key: String, jobs: any BatchJobs, storage: any ObjectStorage,
        logs: @escaping @Sendable (_ project: String) async -> any TaskLogSource
    ) {
        self.key = key
        self.jobs = jobs
        self.storage = storage
        self.logs = logs
    }
}
