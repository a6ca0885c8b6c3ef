import Foundation

/// One link of the global hash chain: a row's `seq` and its `hash`.
///
/// The chains prove that rows were not changed one by one, but whoever can write the file can rewrite every row
/// and recompute both chains, or drop the last rows: the file then verifies on its own. A link written down
/// somewhere else (a ticket, a log shipped off the machine, a second ledger) anchors the chain: `verify` with
/// that link checks that the ledger still passes through it.
public struct ChainLink: Sendable, Hashable, CustomStringConvertible {
    public var seq: Int64
    public var hash: SHA256Digest

    public init(seq: Int64, hash: SHA256Digest) {
        self.seq = seq
        self.hash = hash
    }

    /// Parses `SEQ:HEX` (a seq of 1 or more, 64 hex digits), as `description` prints it; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let seq = Int64(parts[0]), seq >= 1, let hash = SHA256Digest(hex: String(parts[1]))
        else { return nil }
        self.init(seq: seq, hash: hash)
    }

    /// `SEQ:HEX`, the form `verify --expect-head` takes.
    public var description: String { "\(seq):\(hash.hex)" }
}

/// Why a ledger does not pass through the link it was expected to.
public enum AnchorProblem: Sendable, Equatable, CustomStringConvertible {
    /// Row `seq` exists with another hash: some row up to it was rewritten (or the ledger was cut and grew again).
    case hashDiffers(seq: Int64, found: SHA256Digest, expected: SHA256Digest)
    /// The ledger ends before the expected link: rows at its end were removed.
    case truncated(lastSeq: Int64, expected: Int64)
    /// The ledger goes past `seq` but has no row `seq`: rows were removed or renumbered.
    case rowMissing(seq: Int64)

    public var description: String {
        switch self {
        case .hashDiffers(let seq, let found, let expected):
            return "seq \(seq) has hash \(found.hex), expected \(expected.hex): the ledger was rewritten at or before "
                + "seq \(seq) (or truncated and appended to again)"
        case .truncated(let lastSeq, let expected):
            return "the ledger ends at seq \(lastSeq) < \(expected): truncated (the events after seq \(lastSeq) "
                + "were removed)"
        case .rowMissing(let seq):
            return "seq \(seq) is missing: the ledger was rewritten (rows removed or renumbered)"
        }
    }
}
