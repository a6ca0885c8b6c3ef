import Foundation

/// What `verify --export` found: how much was checked and the first problem, if any.
public struct ExportVerificationReport: Sendable, Equatable {
    public var header: ExportHeader
    public var eventsChecked: Int64
    public var executionsChecked: Int
    /// Whether the global chain was checked too (an export of every execution).
    public var globalChainChecked: Bool
    public var firstProblem: ExportProblem?

    public var isValid: Bool { firstProblem == nil }
}

/// Checks an NDJSON export offline, without any ledger: each payload against its digest, each execution's
/// stream chain from the header's starting link to its ending link, and, for an export of every execution,
/// the global chain. Keeps one line of look-ahead (to tell reordered lines from missing ones) and one head
/// per execution, so memory does not grow with the file.
///
/// `ChainVerifier` checks a ledger from its first row; an export may start in the middle of each stream
/// (`--since-seq`), so this checker seeds each stream's head from the header instead.
public struct ExportVerifier {
    private let header: ExportHeader
    private var streamHeads: [String: (version: Int64, hash: SHA256Digest)] = [:]
    private var globalHead: (seq: Int64, hash: SHA256Digest)?
    private var lastSeq: Int64 = 0
    private var pending: ExportedEvent?
    private var lastLine = 1
    public private(set) var eventsChecked: Int64 = 0
    public private(set) var firstProblem: ExportProblem?

    public init(header: ExportHeader) {
        self.header = header
        for execution in header.executions {
            streamHeads[execution.id] = (
                execution.fromVersion - 1, SHA256Digest(hex: execution.startStreamHash) ?? .zero
            )
        }
        if let global = header.global {
            globalHead = (global.afterSeq, SHA256Digest(hex: global.startHash) ?? .zero)
            lastSeq = global.afterSeq
        } else {
            lastSeq = header.sinceSeq
        }
    }

    /// Verifies the export at `path`.
    public static func verify(
        path: String, maximumLineLength: Int = ExportReader.defaultMaximumLineLength
    ) throws(ExportError) -> ExportVerificationReport {
        let reader = try ExportReader(path: path, maximumLineLength: maximumLineLength)
        var verifier = ExportVerifier(header: reader.header)
        while verifier.firstProblem == nil, let line = reader.next() {
            verifier.consume(line)
        }
        verifier.finish()
        return ExportVerificationReport(
            header: reader.header, eventsChecked: verifier.eventsChecked,
            executionsChecked: reader.header.executions.count, globalChainChecked: reader.header.global != nil,
            firstProblem: verifier.firstProblem)
    }

    /// Feeds the next line; checking lags one line behind, for the look-ahead.
    public mutating func consume(_ line: ExportReader.Line) {
        guard firstProblem == nil else { return }
        switch line {
        case .malformed(let number, let detail):
            if let current = pending { check(current, next: nil) }
            pending = nil
            if firstProblem == nil {
                firstProblem = ExportProblem(line: number, seq: nil, detail: "not an event envelope: \(detail)")
            }
        case .event(let event):
            if let current = pending { check(current, next: event) }
            pending = event
            lastLine = event.line
        }
    }

    /// Checks the last line and that every execution (and the global chain) ends where the header says.
    public mutating func finish() {
        if firstProblem == nil, let current = pending {
            check(current, next: nil)
            pending = nil
        }
        guard firstProblem == nil else { return }
        let end = lastLine + 1
        for execution in header.executions {
            let head = streamHeads[execution.id] ?? (0, .zero)
            if head.version != execution.throughVersion {
                firstProblem = ExportProblem(
                    line: end, seq: nil,
                    detail: "execution \(Excerpt.of(execution.id)) ends at version \(head.version) but the header says "
                        + "\(execution.throughVersion): lines are missing (the file was cut short, or lines removed)")
                return
            }
            if head.hash.hex != execution.endStreamHash {
                firstProblem = ExportProblem(
                    line: end, seq: nil,
                    detail: "execution \(Excerpt.of(execution.id)) does not end on the stream hash the header names")
                return
            }
        }
        if let global = header.global, let head = globalHead {
            if head.seq != global.throughSeq || head.hash.hex != global.endHash {
                firstProblem = ExportProblem(
                    line: end, seq: nil,
                    detail: "the export ends at seq \(head.seq) but the header says seq \(global.throughSeq): "
                        + "lines are missing at the end")
                return
            }
        }
        if eventsChecked != header.events {
            firstProblem = ExportProblem(
                line: end, seq: nil,
                detail: "\(eventsChecked) event lines but the header announces \(header.events)")
        }
    }

    private mutating func fail(_ event: ExportedEvent, _ detail: String) {
        firstProblem = ExportProblem(line: event.line, seq: event.event.seq, detail: detail)
    }

    private mutating func check(_ exported: ExportedEvent, next: ExportedEvent?) {
        guard firstProblem == nil else { return }
        let row = exported.event
        eventsChecked += 1
        guard let head = streamHeads[row.stream] else {
            fail(exported, "execution \(Excerpt.of(row.stream)) is not listed in the header: a line was added")
            return
        }
        if SHA256Digest.of(row.payload) != row.payloadSHA256 {
            fail(exported, "payload changed: its SHA-256 no longer matches payload_sha256")
            return
        }
        // Lines are written in seq order; a line out of that order was moved.
        if row.seq <= lastSeq {
            fail(exported, "seq \(row.seq) comes after seq \(lastSeq): lines reordered")
            return
        }
        if let global = globalHead {
            let expected = global.seq + 1
            if row.seq != expected {
                if let next, next.event.seq == expected {
                    fail(exported, "seq \(row.seq) comes before seq \(expected): lines reordered")
                } else {
                    fail(exported, "seq \(expected) is missing before seq \(row.seq): a line was removed")
                }
                return
            }
            if row.prevHash != global.hash {
                fail(exported, "prev_hash does not link to the previous line's hash: the chain is broken here")
                return
            }
            if row.recomputedHash() != row.hash {
                fail(exported, "hash does not match the line's fields: its metadata or hash was altered")
                return
            }
            globalHead = (row.seq, row.hash)
        }
        if row.version != head.version + 1 {
            if row.version > head.version + 1, let next, next.event.stream == row.stream,
                next.event.version == head.version + 1
            {
                fail(
                    exported,
                    "version \(row.version) of execution \(Excerpt.of(row.stream)) comes before version \(head.version + 1): "
                        + "lines reordered")
            } else if row.version > head.version + 1 {
                fail(
                    exported,
                    "version \(head.version + 1) of execution \(Excerpt.of(row.stream)) is missing before version "
                        + "\(row.version): a line was removed")
            } else {
                fail(
                    exported,
                    "version \(row.version) of execution \(Excerpt.of(row.stream)) comes after version \(head.version): "
                        + "lines reordered or repeated")
            }
            return
        }
        let expectedStreamHash = HashChain.streamHash(
            prev: head.hash, stream: row.stream, version: row.version, type: row.type,
            schemaVersion: row.schemaVersion, recordedAt: row.recordedAt, payloadSHA256: row.payloadSHA256)
        if expectedStreamHash != row.streamHash {
            fail(exported, "stream_hash does not match: the line's metadata or digest was altered")
            return
        }
        streamHeads[row.stream] = (row.version, row.streamHash)
        lastSeq = row.seq
    }
}
