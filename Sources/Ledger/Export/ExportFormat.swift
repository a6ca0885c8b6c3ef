import Foundation

/// The NDJSON export format, version 1.
///
/// Line 1 is an `ExportHeader`. Every further line is one event envelope with every column of the ledger row:
///
/// ```
/// {"seq":7,"stream":"01J…","version":3,"type":"JobCreated","schema_version":1,
///  "recorded_at":"2026-11-29T20:31:02.120331Z","payload_sha256":"…","prev_hash":"…","hash":"…",
///  "stream_hash":"…","payload":{…}}
/// ```
///
/// `payload` is the stored payload's bytes spliced in unchanged (it is canonical JSON), so a reader that takes
/// the value's exact bytes from the line gets the digested bytes back. A payload that is not one line of JSON is
/// written as `payload_b64` instead. Digests are lowercase hex.
///
/// Chains: each execution's own chain (`stream_hash`) is complete in the export from the link named in the
/// header (`start_stream_hash`, zero when the export holds the execution from version 1) to `end_stream_hash`;
/// so `--since-seq` exports verify too. When the export holds every execution, the global chain is checked as
/// well, from the header's `global.start_hash`.
public enum ExportFormat {
    /// The value of the header's `format` field.
    public static let name = "batchledger-export"
    /// The only version this build writes and reads.
    public static let version = 1
}

/// The first line of an NDJSON export.
public struct ExportHeader: Codable, Sendable, Equatable {
    /// What one execution's part of the export covers.
    public struct Execution: Codable, Sendable, Equatable {
        public var id: String
        /// First and last version exported, and how many events (through − from + 1).
        public var fromVersion: Int64
        public var throughVersion: Int64
        public var events: Int64
        /// The stream hash of version `fromVersion − 1` (zero when `fromVersion` is 1), hex.
        public var startStreamHash: String
        /// The stream hash of version `throughVersion`, hex.
        public var endStreamHash: String

        enum CodingKeys: String, CodingKey {
            case id
            case fromVersion = "from_version"
            case throughVersion = "through_version"
            case events
            case startStreamHash = "start_stream_hash"
            case endStreamHash = "end_stream_hash"
        }

        public init(
            id: String, fromVersion: Int64, throughVersion: Int64, events: Int64, startStreamHash: String,
            endStreamHash: String
        ) {
            self.id = id
            self.fromVersion = fromVersion
            self.throughVersion = throughVersion
            self.events = events
            self.startStreamHash = startStreamHash
            self.endStreamHash = endStreamHash
        }
    }

    /// The global chain, present when the export holds every execution of the ledger.
    public struct Global: Codable, Sendable, Equatable {
        /// The first exported seq is `afterSeq + 1`; `startHash` is the hash of row `afterSeq` (zero for 0).
        public var afterSeq: Int64
        public var startHash: String
        public var throughSeq: Int64
        public var endHash: String

        enum CodingKeys: String, CodingKey {
            case afterSeq = "after_seq"
            case startHash = "start_hash"
            case throughSeq = "through_seq"
            case endHash = "end_hash"
        }

        public init(afterSeq: Int64, startHash: String, throughSeq: Int64, endHash: String) {
            self.afterSeq = afterSeq
            self.startHash = startHash
            self.throughSeq = throughSeq
            self.endHash = endHash
        }
    }

    public var format: String
    public var formatVersion: Int
    public var exportedAt: String
    /// The ledger's path when it was exported (provenance only).
    public var sourceLedger: String
    /// Only events with a greater seq were exported.
    public var sinceSeq: Int64
    /// The last seq of the ledger when the export began (the snapshot exported).
    public var throughSeq: Int64
    /// Total event lines that follow.
    public var events: Int64
    public var executions: [Execution]
    public var global: Global?

    enum CodingKeys: String, CodingKey {
        case format
        case formatVersion = "format_version"
        case exportedAt = "exported_at"
        case sourceLedger = "source_ledger"
        case sinceSeq = "since_seq"
        case throughSeq = "through_seq"
        case events
        case executions
        case global
    }
}

/// One event line of an export, as read back: the envelope plus where it was in the file.
public struct ExportedEvent: Sendable, Equatable {
    public var line: Int
    public var event: RecordedEvent
}

/// What went wrong reading or checking an export; each says where (line, seq) and what to do.
public enum ExportError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotRead(path: String, detail: String)
    case cannotWrite(path: String, detail: String)
    case notAnExport(path: String, detail: String)
    case newerFormat(path: String, found: Int)
    case malformedLine(path: String, line: Int, detail: String)
    /// The export's chains do not check out: `problem` names the first bad line and seq.
    case tampered(path: String, problem: ExportProblem)
    case executionExists(path: String, execution: String, ledger: String)
    case partialStream(path: String, execution: String, fromVersion: Int64)
    case unknownExecution(String, ledger: String)
    case ledger(LedgerError)

    public var description: String {
        switch self {
        case .cannotRead(let path, let detail):
            return "cannot read \(path): \(detail)"
        case .cannotWrite(let path, let detail):
            return "cannot write \(path): \(detail); check that its folder exists and is writable"
        case .notAnExport(let path, let detail):
            return "\(path) is not a batchledger NDJSON export (\(detail)); make one with batchledger export "
                + "--format ndjson"
        case .newerFormat(let path, let found):
            return "\(path) is export format version \(found); this batchledger reads version \(ExportFormat.version) "
                + "only: upgrade batchledger"
        case .malformedLine(let path, let line, let detail):
            return "\(path):\(line): not an event envelope (\(detail)); the file was cut or edited"
        case .tampered(let path, let problem):
            return "\(path): \(problem)"
        case .executionExists(let path, let execution, let ledger):
            return "\(path): execution \(execution) is already in \(ledger); an import never merges into an existing "
                + "execution: import into another ledger, or export only the other executions"
        case .partialStream(let path, let execution, let fromVersion):
            return "\(path): execution \(execution) starts at version \(fromVersion) (an export with --since-seq); "
                + "import needs whole executions: export again without --since-seq"
        case .unknownExecution(let id, let ledger):
            return "no execution \(id) in \(ledger); batchledger executions lists them"
        case .ledger(let error):
            return error.description
        }
    }
}

/// The first thing wrong in an export's content, with the line (1 is the header) and seq where it shows.
public struct ExportProblem: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var seq: Int64?
    public var detail: String

    public init(line: Int, seq: Int64?, detail: String) {
        self.line = line
        self.seq = seq
        self.detail = detail
    }

    public var description: String {
        "line \(line)" + (seq.map { " (seq \($0))" } ?? "") + ": \(detail)"
    }
}

// MARK: - Writing and reading one envelope line

extension ExportFormat {
    /// One envelope line (without the newline).
    static func line(for event: RecordedEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(event.payload.count + 400)
        out += Array("{\"seq\":\(event.seq),\"stream\":".utf8)
        appendJSONString(event.stream, to: &out)
        out += Array(",\"version\":\(event.version),\"type\":".utf8)
        appendJSONString(event.type, to: &out)
        out += Array(",\"schema_version\":\(event.schemaVersion),\"recorded_at\":".utf8)
        appendJSONString(event.recordedAt, to: &out)
        out += Array(",\"payload_sha256\":\"\(event.payloadSHA256.hex)\",\"prev_hash\":\"\(event.prevHash.hex)\"".utf8)
        out += Array(",\"hash\":\"\(event.hash.hex)\",\"stream_hash\":\"\(event.streamHash.hex)\"".utf8)
        if isInlinable(event.payload) {
            out += Array(",\"payload\":".utf8)
            out += event.payload
        } else {
            out += Array(",\"payload_b64\":\"\(event.payload.base64EncodedString())\"".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Whether `payload` can be spliced into a line as it is: one line of valid JSON, with nothing around it
    /// that a JSON reader would drop (so the value's bytes are exactly the payload's bytes).
    static func isInlinable(_ payload: Data) -> Bool {
        guard let first = payload.first, let last = payload.last else { return false }
        let edges: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")]
        if edges.contains(first) || edges.contains(last) { return false }
        if payload.contains(UInt8(ascii: "\n")) || payload.contains(UInt8(ascii: "\r")) { return false }
        guard String(data: payload, encoding: .utf8) != nil else { return false }
        return (try? JSONSerialization.jsonObject(with: payload, options: [.fragmentsAllowed])) != nil
    }

    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private struct Envelope: Decodable {
        var seq: Int64
        var stream: String
        var version: Int64
        var type: String
        var schemaVersion: Int
        var recordedAt: String
        var payloadSHA256: String
        var prevHash: String
        var hash: String
        var streamHash: String
        var payloadB64: String?

        enum CodingKeys: String, CodingKey {
            case seq, stream, version, type, hash
            case schemaVersion = "schema_version"
            case recordedAt = "recorded_at"
            case payloadSHA256 = "payload_sha256"
            case prevHash = "prev_hash"
            case streamHash = "stream_hash"
            case payloadB64 = "payload_b64"
        }
    }

    /// Reads one envelope line; the error's text says which field is wrong.
    static func event(fromLine line: Data) throws(LineError) -> RecordedEvent {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: line)
        } catch let DecodingError.keyNotFound(key, _) {
            throw LineError("field \(key.stringValue) is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw LineError("field \(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch {
            throw LineError("not JSON")
        }
        func digest(_ text: String, _ field: String) throws(LineError) -> SHA256Digest {
            guard let digest = SHA256Digest(hex: text) else { throw LineError("\(field) is not 64 hex digits") }
            return digest
        }
        let payload: Data
        if let base64 = envelope.payloadB64 {
            guard let decoded = Data(base64Encoded: base64) else { throw LineError("payload_b64 is not base64") }
            payload = decoded
        } else {
            guard let span = topLevelValueSpan(of: "payload", in: line) else {
                throw LineError("field payload is missing")
            }
            payload = Data([UInt8](line)[span])
        }
        return RecordedEvent(
            seq: envelope.seq, stream: envelope.stream, version: envelope.version, type: envelope.type,
            schemaVersion: envelope.schemaVersion, recordedAt: envelope.recordedAt, payload: payload,
            payloadSHA256: try digest(envelope.payloadSHA256, "payload_sha256"),
            prevHash: try digest(envelope.prevHash, "prev_hash"), hash: try digest(envelope.hash, "hash"),
            streamHash: try digest(envelope.streamHash, "stream_hash"))
    }

    struct LineError: Error {
        var detail: String
        init(_ detail: String) { self.detail = detail }
    }

    /// The byte range of the value of top-level key `key` in the JSON object `line`, exactly as written.
    static func topLevelValueSpan(of key: String, in line: Data) -> Range<Int>? {
        let bytes = [UInt8](line)
        let wanted = Array(key.utf8)
        var index = 0
        func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[index]) { index += 1 }
        }
        /// Moves past one string starting at `index` (a quote); returns its raw content range.
        func skipString() -> Range<Int>? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            let start = index
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if bytes[index] == UInt8(ascii: "\"") {
                    let range = start..<index
                    index += 1
                    return range
                }
                index += 1
            }
            return nil
        }
        /// Moves past one value of any kind.
        func skipValue() -> Bool {
            guard index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                return skipString() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: "\""):
                        guard skipString() != nil else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            index += 1
                            return true
                        }
                    default: break
                    }
                    index += 1
                }
                return false
            default:
                while index < bytes.count,
                    ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0a, 0x0d].contains(
                        bytes[index])
                {
                    index += 1
                }
                return true
            }
        }
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        while true {
            skipSpace()
            guard let name = skipString() else { return nil }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            skipSpace()
            let start = index
            guard skipValue() else { return nil }
            if Array(bytes[name]) == wanted { return start..<index }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
    }
}
