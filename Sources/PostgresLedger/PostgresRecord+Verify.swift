import Foundation
import Ledger

/// The outcome of verifying a PostgreSQL ledger in the database itself: the same chain checks as the SQLite
/// ledger's `verify`, without a local cache.
public struct PostgresVerificationReport: Sendable, Equatable {
    public var eventsChecked: Int64
    public var streamsChecked: Int
    public var firstProblem: ChainProblem?
    /// Whether the triggers that refuse UPDATE, DELETE and TRUNCATE on `events` are in place and enabled.
    public var immutabilityTriggersPresent: Bool
    /// The last row's link (seq 0 and the zero hash for an empty ledger).
    public var head: ChainLink
    public var expectedHead: ChainLink?
    public var anchorProblem: AnchorProblem?

    public var isValid: Bool { firstProblem == nil && anchorProblem == nil && immutabilityTriggersPresent }
}

extension PostgresRecord {
    /// Recomputes both hash chains over the database's whole log, checks its immutability triggers, and reports
    /// the first bad `seq` and the chain's head; with `expectingHead`, also that the chain passes through that link.
    public func verify(expectingHead anchor: ChainLink? = nil) throws(LedgerError) -> PostgresVerificationReport {
        var walk = AnchoredChainWalk(expectingHead: anchor)
        try walkChains(&walk)
        let anchorProblem = walk.finish()
        return PostgresVerificationReport(
            eventsChecked: walk.chains.eventsChecked, streamsChecked: walk.chains.streamsChecked,
            firstProblem: walk.chains.firstProblem, immutabilityTriggersPresent: try immutabilityTriggersPresent(),
            head: walk.head, expectedHead: anchor, anchorProblem: anchorProblem)
    }
}
