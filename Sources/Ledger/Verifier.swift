import Foundation

/// What `verify` found wrong first, with the `seq` where it shows.
public enum ChainProblem: Sendable, Equatable, CustomStringConvertible {
    /// The payload no longer matches the digest recorded with it.
    case payloadChanged(seq: Int64)
    /// One or more rows are gone: the chain jumps from `after` to `seq`.
    case rowMissing(seq: Int64, after: Int64)
    /// Two neighbouring rows changed places.
    case rowsReordered(seq: Int64, with: Int64)
    /// A row that was never appended by the ledger sits at `seq`.
    case rowInserted(seq: Int64)
    /// The row's metadata (stream, version, type, schema, time) or its hash was altered.
    case rowAltered(seq: Int64)
    /// The row breaks the chain of its own stream (for example a version out of order).
    case streamBroken(seq: Int64, stream: String, detail: String)

    public var seq: Int64 {
        switch self {
        case .payloadChanged(let seq), .rowMissing(let seq, _), .rowsReordered(let seq, _), .rowInserted(let seq),
            .rowAltered(let seq), .streamBroken(let seq, _, _):
            return seq
        }
    }

    public var description: String {
        switch self {
        case .payloadChanged(let seq):
            return "seq \(seq): payload changed (its SHA-256 no longer matches the recorded digest)"
        case .rowMissing(let seq, let after):
            return "seq \(seq): row missing before it (the chain does not continue from seq \(after))"
        case .rowsReordered(let seq, let other):
            return "seq \(seq): rows reordered (seq \(seq) and seq \(other) changed places)"
        case .rowInserted(let seq):
            return "seq \(seq): row inserted (the next row chains to the row before it)"
        case .rowAltered(let seq):
            return "seq \(seq): row altered (its metadata or hash no longer matches its chain link)"
        case .streamBroken(let seq, let stream, let detail):
            return "seq \(seq): stream \(stream) broken: \(detail)"
        }
    }
}

/// The outcome of `verify`: how much was checked and the first problem, if any.
public struct VerificationReport: Sendable, Equatable {
    public var eventsChecked: Int64
    public var streamsChecked: Int
    public var firstProblem: ChainProblem?
    /// Whether the triggers that refuse UPDATE and DELETE are in place.
    public var immutabilityTriggersPresent: Bool
    /// SQLite's own `quick_check` result ("ok" when the file's structure is sound).
    public var storageCheck: String
    /// The last row's link (seq 0 and the zero hash for an empty ledger): write it down elsewhere, and a later
    /// `verify(expectingHead:)` proves the ledger was neither rewritten nor cut before it.
    public var head: ChainLink = ChainLink(seq: 0, hash: .zero)
    /// The link the caller expected the chain to pass through, if any.
    public var expectedHead: ChainLink?
    /// Why the chain does not pass through `expectedHead`.
    public var anchorProblem: AnchorProblem?

    public var isValid: Bool {
        firstProblem == nil && anchorProblem == nil && immutabilityTriggersPresent && storageCheck == "ok"
    }
}

/// What `verify` walks on either backend: both hash chains (`ChainVerifier`), the head reached, and whether the
/// chain passes through an anchor link.
public struct AnchoredChainWalk {
    public private(set) var chains = ChainVerifier()
    public private(set) var head = ChainLink(seq: 0, hash: .zero)
    let anchor: ChainLink?
    private var anchorRow: SHA256Digest?

    public init(expectingHead anchor: ChainLink?) {
        self.anchor = anchor
    }

    /// The next event in `seq` order.
    public mutating func consume(_ row: RecordedEvent) {
        chains.consume(row)
        head = ChainLink(seq: row.seq, hash: row.hash)
        if row.seq == anchor?.seq { anchorRow = row.hash }
    }

    /// Ends the walk; what is wrong with the anchor, if one was expected.
    public mutating func finish() -> AnchorProblem? {
        chains.finish()
        guard let anchor else { return nil }
        guard let found = anchorRow else {
            return head.seq < anchor.seq
                ? .truncated(lastSeq: head.seq, expected: anchor.seq) : .rowMissing(seq: anchor.seq)
        }
        return found == anchor.hash ? nil : .hashDiffers(seq: anchor.seq, found: found, expected: anchor.hash)
    }
}

/// Walks events in `seq` order and checks both hash chains, keeping one row of look-behind and one of
/// look-ahead, and the head of each stream.
public struct ChainVerifier {
    private var previous: RecordedEvent?
    private var beforePrevious: RecordedEvent?
    private var pending: RecordedEvent?
    private var streamHeads: [String: (version: Int64, hash: SHA256Digest)] = [:]
    /// Whether gaps in `seq` are allowed (an export of some executions has them; the global chain is then
    /// not checked, only each stream's).
    private let checksGlobalChain: Bool
    public private(set) var eventsChecked: Int64 = 0
    public private(set) var firstProblem: ChainProblem?

    public init(checksGlobalChain: Bool = true) {
        self.checksGlobalChain = checksGlobalChain
    }

    public var streamsChecked: Int { streamHeads.count }

    /// Feeds the next row; checking lags one row behind, for the look-ahead.
    public mutating func consume(_ event: RecordedEvent) {
        guard firstProblem == nil else { return }
        if let current = pending {
            check(current, next: event)
        }
        pending = event
    }

    /// Checks the last row fed.
    public mutating func finish() {
        guard firstProblem == nil, let current = pending else { return }
        check(current, next: nil)
        pending = nil
    }

    private mutating func check(_ row: RecordedEvent, next: RecordedEvent?) {
        defer {
            beforePrevious = previous
            previous = row
            eventsChecked += 1
        }
        if SHA256Digest.of(row.payload) != row.payloadSHA256 {
            firstProblem = .payloadChanged(seq: row.seq)
            return
        }
        if checksGlobalChain, let problem = globalProblem(row, next: next) {
            firstProblem = problem
            return
        }
        let head = streamHeads[row.stream] ?? (version: 0, hash: .zero)
        if row.version != head.version + 1 {
            let detail =
                row.version <= head.version
                ? "version \(row.version) comes after version \(head.version)"
                : "version \(row.version) follows version \(head.version): event missing"
            if checksGlobalChain, row.version == head.version + 2, let next, next.stream == row.stream,
                next.version == head.version + 1
            {
                firstProblem = .rowsReordered(seq: row.seq, with: next.seq)
            } else {
                firstProblem = .streamBroken(seq: row.seq, stream: row.stream, detail: detail)
            }
            return
        }
        let expectedStreamHash = HashChain.streamHash(
            prev: head.hash, stream: row.stream, version: row.version, type: row.type,
            schemaVersion: row.schemaVersion, recordedAt: row.recordedAt, payloadSHA256: row.payloadSHA256)
        if expectedStreamHash != row.streamHash {
            firstProblem = .streamBroken(
                seq: row.seq, stream: row.stream, detail: "stream hash does not match (metadata or order changed)")
            return
        }
        streamHeads[row.stream] = (row.version, row.streamHash)
    }

    private func globalProblem(_ row: RecordedEvent, next: RecordedEvent?) -> ChainProblem? {
        let expectedPrev = previous?.hash ?? .zero
        let expectedSeq = (previous?.seq ?? 0) + 1
        if row.seq != expectedSeq {
            return .rowMissing(seq: row.seq, after: previous?.seq ?? 0)
        }
        if row.prevHash == expectedPrev {
            if row.recomputedHash() == row.hash { return nil }
            // A forged row placed here: the next row still chains to the row before it.
            if let next, next.prevHash == expectedPrev { return .rowInserted(seq: row.seq) }
            return .rowAltered(seq: row.seq)
        }
        // This row chains to the row after it, which chains to ours: the two changed places.
        if let next, row.prevHash == next.hash, next.prevHash == expectedPrev {
            return .rowsReordered(seq: row.seq, with: next.seq)
        }
        // The row before was put in, and this one still chains to the row before that.
        if let previous, let beforePrevious, row.prevHash == beforePrevious.hash {
            return .rowInserted(seq: previous.seq)
        }
        if previous == nil, row.seq == 1 {
            return .rowAltered(seq: row.seq)
        }
        return .rowMissing(seq: row.seq, after: previous?.seq ?? 0)
    }
}

extension EventStore {
    /// Recomputes both hash chains over the whole log, checks the immutability triggers and SQLite's structure,
    /// and reports the first bad `seq` and the chain's head.
    ///
    /// With `expectingHead`, also checks that the chain passes through that link (row `seq` exists and has that
    /// hash): a rewrite with recomputed chains, or rows cut from the end, verify on their own but fail this.
    ///
    /// Over a ledger of record, the chains walked are the database's (read page by page), the triggers checked
    /// are the database's, and the cache's structure is checked as a plain ledger file's.
    public func verify(expectingHead anchor: ChainLink? = nil) throws -> VerificationReport {
        var walk = AnchoredChainWalk(expectingHead: anchor)
        var recordTriggers: Bool?
        if let record = options.record {
            try record.walkChains(&walk)
            recordTriggers = try record.immutabilityTriggersPresent()
        } else {
            try readAll { walk.consume($0) }
        }
        let anchorProblem = walk.finish()
        let verifier = walk.chains
        let head = walk.head
        return try withReader { connection in
            let triggers = try connection.statement(
                """
                SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'
                AND name IN ('events_refuse_update', 'events_refuse_delete')
                """)
            try triggers.step()
            let present = recordTriggers ?? (triggers.int64(0) == 2)
            triggers.reset()
            let check = try connection.oneShotStatement("PRAGMA quick_check")
            var messages: [String] = []
            while try check.step() { messages.append(check.text(0)) }
            return VerificationReport(
                eventsChecked: verifier.eventsChecked, streamsChecked: verifier.streamsChecked,
                firstProblem: verifier.firstProblem, immutabilityTriggersPresent: present,
                storageCheck: messages.joined(separator: "; "), head: head, expectedHead: anchor,
                anchorProblem: anchorProblem)
        }
    }
}

extension LedgerOfRecord {
    /// Feeds `walk` every event of the database's log in `seq` order, read page by page, so memory stays bounded
    /// however long the log.
    public func walkChains(_ walk: inout AnchoredChainWalk) throws(LedgerError) {
        var after: Int64 = 0
        while true {
            let page = try events(after: after, through: .max, limit: 2_000)
            for row in page { walk.consume(row) }
            guard let last = page.last else { return }
            after = last.seq
        }
    }
}
