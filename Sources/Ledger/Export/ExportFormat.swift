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
    /// A line is longer than the reader's limit (`limit` bytes); nothing past it was read.
    case lineTooLong(path: String, line: Int, limit: Int)
    /// An execution id outside the alphabet the engine uses (see `ExecutionID`), refused by import.
    case invalidExecutionId(path: String, line: Int, id: String)
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
        case .lineTooLong(let path, let line, let limit):
            return "\(path):\(line): the line is longer than \(Self.size(limit)), the limit for one line of an export; "
                + "this is not a batchledger export, or it was edited"
        case .invalidExecutionId(let path, let line, let id):
            return "\(path):\(line): execution id \"\(Excerpt.of(id))\" is not 1 to \(ExecutionID.maximumLength) "
                + "characters of 0-9, A-Z, a-z, _ and -, as batchledger makes them; the export was not made by "
                + "batchledger, or was edited: nothing was imported"
        case .tampered(let path, let problem):
            return "\(path): \(problem)"
        case .executionExists(let path, let execution, let ledger):
            return "\(path): execution \(Excerpt.of(execution)) is already in \(ledger); an import never merges into "
                + "an existing execution: import into another ledger, or export only the other executions"
        case .partialStream(let path, let execution, let fromVersion):
            return "\(path): execution \(Excerpt.of(execution)) starts at version \(fromVersion) (an export with "
                + "--since-seq); import needs whole executions: export again without --since-seq"
        case .unknownExecution(let id, let ledger):
            return "no execution \(Excerpt.of(id)) in \(ledger); batchledger executions lists them"
        case .ledger(let error):
            return error.description
        }
    }
}

extension ExportError {
    /// A byte count as messages print it: `64 MiB`, `512 KiB`, `100 bytes`.
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
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

    struct LineError: Error {
        var detail: String
        init(_ detail: String) { self.detail = detail }
    }

    /// The envelope fields, in the order `line(for:)` writes them.
    private static let fieldNames = [
        "seq", "stream", "version", "type", "schema_version", "recorded_at", "payload_sha256", "prev_hash", "hash",
        "stream_hash", "payload", "payload_b64",
    ].map { Array($0.utf8) }

    /// Reads one envelope line in a single pass (no `JSONDecoder`: a million lines must read quickly); the error
    /// says which field is missing or wrong. Unknown fields are ignored.
    static func event(fromLine line: Data) throws(LineError) -> RecordedEvent {
        let bytes = [UInt8](line)
        guard let fields = topLevelFields(bytes) else { throw LineError("not a JSON object") }
        var spans = [Range<Int>?](repeating: nil, count: fieldNames.count)
        for (key, value) in fields {
            let name = bytes[key]
            if let index = fieldNames.firstIndex(where: { $0.elementsEqual(name) }) { spans[index] = value }
        }
        func span(_ index: Int) throws(LineError) -> Range<Int> {
            guard let span = spans[index] else {
                throw LineError("field \(String(decoding: fieldNames[index], as: UTF8.self)) is missing")
            }
            return span
        }
        func wrongType(_ index: Int) -> LineError {
            LineError("field \(String(decoding: fieldNames[index], as: UTF8.self)) has the wrong type")
        }
        func integer(_ index: Int) throws(LineError) -> Int64 {
            let range = try span(index)
            guard let value = Int64(String(decoding: bytes[range], as: UTF8.self)) else { throw wrongType(index) }
            return value
        }
        func string(_ index: Int) throws(LineError) -> String {
            let range = try span(index)
            guard let text = jsonString(bytes[range]) else { throw wrongType(index) }
            return text
        }
        func digest(_ index: Int) throws(LineError) -> SHA256Digest {
            guard let digest = SHA256Digest(hex: try string(index)) else {
                throw LineError("\(String(decoding: fieldNames[index], as: UTF8.self)) is not 64 hex digits")
            }
            return digest
        }
        let seq = try integer(0)
        let stream = try string(1)
        let version = try integer(2)
        let type = try string(3)
        guard let schemaVersion = Int(exactly: try integer(4)) else { throw wrongType(4) }
        let recordedAt = try string(5)
        let digests = (try digest(6), try digest(7), try digest(8), try digest(9))
        let payload: Data
        if spans[11] != nil {
            guard let decoded = Data(base64Encoded: try string(11)) else {
                throw LineError("payload_b64 is not base64")
            }
            payload = decoded
        } else {
            payload = Data(bytes[try span(10)])
        }
        return RecordedEvent(
            seq: seq, stream: stream, version: version, type: type, schemaVersion: schemaVersion,
            recordedAt: recordedAt, payload: payload, payloadSHA256: digests.0, prevHash: digests.1, hash: digests.2,
            streamHash: digests.3)
    }

    /// The text of a JSON string literal (with its quotes); nil when `literal` is not one.
    static func jsonString(_ literal: ArraySlice<UInt8>) -> String? {
        guard literal.count >= 2, literal.first == UInt8(ascii: "\""), literal.last == UInt8(ascii: "\"") else {
            return nil
        }
        let inner = literal.dropFirst().dropLast()
        if !inner.contains(UInt8(ascii: "\\")) {
            return String(bytes: inner, encoding: .utf8)
        }
        return (try? JSONSerialization.jsonObject(with: Data(literal), options: [.fragmentsAllowed])) as? String
    }

    /// The byte range of the value of top-level key `key` in the JSON object `line`, exactly as written.
    static func topLevelValueSpan(of key: String, in line: Data) -> Range<Int>? {
        let bytes = [UInt8](line)
        let wanted = Array(key.utf8)
        return topLevelFields(bytes)?.first { bytes[$0.key].elementsEqual(wanted) }?.value
    }

    /// Each top-level member of the JSON object in `bytes`: the key's raw content and the value's exact bytes.
    /// Nil when `bytes` is not one object. Values are delimited, not validated (the digests check them).
    static func topLevelFields(_ bytes: [UInt8]) -> [(key: Range<Int>, value: Range<Int>)]? {
        bytes.withUnsafeBufferPointer { bytes in
            var index = 0
            let quote = UInt8(ascii: "\"")
            let backslash = UInt8(ascii: "\\")
            func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }
            func skipSpace() {
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            }
            /// Moves past one string starting at `index` (a quote); returns its raw content range.
            func skipString() -> Range<Int>? {
                guard index < bytes.count, bytes[index] == quote else { return nil }
                index += 1
                let start = index
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == backslash {
                        index += 2
                    } else if byte == quote {
                        index += 1
                        return start..<(index - 1)
                    } else {
                        index += 1
                    }
                }
                return nil
            }
            /// Moves past one value of any kind.
            func skipValue() -> Bool {
                guard index < bytes.count else { return false }
                switch bytes[index] {
                case quote:
                    return skipString() != nil
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    var depth = 0
                    while index < bytes.count {
                        switch bytes[index] {
                        case quote:
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
                    let start = index
                    while index < bytes.count {
                        let byte = bytes[index]
                        if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                            || isSpace(byte)
                        {
                            break
                        }
                        index += 1
                    }
                    return index > start
                }
            }
            var fields: [(key: Range<Int>, value: Range<Int>)] = []
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { return [] }
            while true {
                skipSpace()
                guard let key = skipString() else { return nil }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                skipSpace()
                let start = index
                guard skipValue() else { return nil }
                fields.append((key, start..<index))
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    skipSpace()
                    return index == bytes.count ? fields : nil
                }
                guard bytes[index] == UInt8(ascii: ",") else { return nil }
                index += 1
            }
        }
    }
}
