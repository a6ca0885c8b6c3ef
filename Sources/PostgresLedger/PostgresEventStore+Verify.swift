import Foundation
import Ledger
import PostgresNIO

/// The outcome of verifying a PostgreSQL ledger: the same chain checks as the SQLite ledger's `verify`.
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

extension PostgresEventStore {
    /// Recomputes both hash chains over the whole log, checks the immutability triggers, and reports the first
    /// bad `seq` and the chain's head; with `expectingHead`, also that the chain passes through that link.
    public func verify(expectingHead anchor: ChainLink? = nil) async throws -> PostgresVerificationReport {
        var walk = AnchoredChainWalk(expectingHead: anchor)
        try await readAll { page in
            for row in page { walk.consume(row) }
        }
        let anchorProblem = walk.finish()
        let verifier = walk.chains
        let head = walk.head
        let triggers = try await withConnection("check the triggers") { [logger] connection in
            try await connection.query(
                """
                SELECT count(*)::bigint FROM pg_trigger
                WHERE tgrelid = 'public.events'::regclass AND tgenabled <> 'D'
                AND tgname IN ('events_refuse_update', 'events_refuse_delete', 'events_refuse_truncate')
                """, logger: logger
            ).collect().first?.decode(Int64.self) ?? 0
        }
        return PostgresVerificationReport(
            eventsChecked: verifier.eventsChecked, streamsChecked: verifier.streamsChecked,
            firstProblem: verifier.firstProblem, immutabilityTriggersPresent: triggers == 3, head: head,
            expectedHead: anchor, anchorProblem: anchorProblem)
    }
}
