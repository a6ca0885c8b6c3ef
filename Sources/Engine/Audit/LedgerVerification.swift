import Foundation
import Ledger

/// What `batchledger verify` checks of a ledger: both hash chains, the immutability triggers and SQLite's
/// structure (`EventStore.verify`), optionally that the chain passes through a link kept elsewhere, and that the
/// cached execution-summary projection equals a fold of the log.
public struct LedgerVerification: Sendable, Equatable {
    public var report: VerificationReport
    public var projection: ProjectionCheck

    /// Checks `store` (read-only is enough), against `anchor` when given. Reads the whole ledger.
    public init(_ store: EventStore, expectingHead anchor: ChainLink? = nil) throws {
        report = try store.verify(expectingHead: anchor)
        projection = try store.checkProjection(ExecutionSummaryProjection.self)
    }

    /// Whether everything checks out.
    public var isValid: Bool { report.isValid && projection.isValid }

    /// The JSON object `batchledger verify --json` prints (and the API's `verify` route answers): `ledger`,
    /// `valid`, `eventsChecked`, `streamsChecked`, `immutabilityTriggersPresent`, `storageCheck`, `head`
    /// (`seq`, `hash`), `firstBadSeq` and `problem` when a chain breaks, `expectedHead`, `headReached` and
    /// `anchorProblem` when an anchor was given, and `projections`. Keys sorted.
    /// `path` is left out when nil (a server does not tell its callers where its files are).
    public func json(ledger path: String?) throws -> Data {
        var object: [String: Any] = [
            "valid": report.isValid, "eventsChecked": report.eventsChecked,
            "streamsChecked": report.streamsChecked,
            "immutabilityTriggersPresent": report.immutabilityTriggersPresent,
            "storageCheck": report.storageCheck,
            "head": ["seq": report.head.seq, "hash": report.head.hash.hex],
        ]
        if let path { object["ledger"] = path }
        if let problem = report.firstProblem {
            object["firstBadSeq"] = problem.seq
            object["problem"] = problem.description
        }
        if let expected = report.expectedHead {
            object["expectedHead"] = ["seq": expected.seq, "hash": expected.hash.hex]
            object["headReached"] = report.anchorProblem == nil
        }
        if let problem = report.anchorProblem {
            object["anchorProblem"] = problem.description
        }
        object["projections"] = [
            [
                "name": projection.projection, "valid": projection.isValid,
                "keysCompared": projection.keysCompared, "mismatchedKeys": projection.mismatchedKeys,
            ]
        ]
        if !projection.isValid { object["valid"] = false }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
