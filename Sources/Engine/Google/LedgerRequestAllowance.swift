import Foundation
import GoogleCloud
import Ledger

/// The ledger as the allowance that every process writing to it shares (see `EventStore.takeRequest`): what
/// `RequestBudget` draws from so that the `serve` replicas of one ledger keep to one Cloud Logging quota together.
public struct LedgerRequestAllowance: SharedRequestAllowance {
    public let store: EventStore
    /// How long a call counts (a minute; a test may give less).
    public let window: Duration

    public init(store: EventStore, window: Duration = .seconds(60)) {
        self.store = store
        self.window = window
    }

    public func take(_ scope: String, perMinute: Int) async throws -> Duration? {
        try await store.takeRequest(from: scope, perMinute: perMinute, window: window)
    }
}
