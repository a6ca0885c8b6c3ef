import Foundation
import Templates

/// The flow's concurrency limit was reached when the execution was to start, and it waits (QUEUE) for one of the
/// running executions to end.
public struct ConcurrencyQueued: Codable, Sendable, Equatable {
    public var limit: Int
    /// The executions of the flow that held the slots.
    public var running: [String]
}

/// A queued execution got a slot and starts its tasks.
public struct ConcurrencySlotTaken: Codable, Sendable, Equatable {
    /// The executions of the flow running beside it then.
    public var running: [String]
}

/// The flow's concurrency limit was reached and the flow says CANCEL or FAIL: the execution ends without running
/// a task.
public struct ConcurrencyRefused: Codable, Sendable, Equatable {
    /// CANCEL or FAIL.
    public var behavior: String
    public var limit: Int
    public var running: [String]
}

extension ConcurrencyQueued: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> ConcurrencyQueued { self }
}

extension ConcurrencySlotTaken: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> ConcurrencySlotTaken { self }
}

extension ConcurrencyRefused: SecretMaskedPayload {
    public func masked(by masker: SecretMasker) -> ConcurrencyRefused { self }
}
