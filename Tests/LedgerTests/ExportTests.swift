import Foundation
import Testing

@testable import Ledger

/// A ledger with two interleaved executions whose payloads look like the engine's, including one that is not
/// JSON (written as payload_b64) and strings that need escaping.
private func sourceLedger(_ folder: TemporaryFolder, clock: @escaping @Sendable () -> Date = { Date() }) throws
    -> EventStore
{
    let store = try EventStore(path: folder.path("source.ledger"), options: .init(clock: clock))
    try store.append(
        [try NewEvent(type: "ExecutionStarted", encoding: ["executionId": "exec-a", "flowId": "f"])], to: "exec-a")
    try store.append(
        [try NewEvent(type: "ExecutionStarted", encoding: ["executionId": "exec-b", "flowId": "g"])], to: "exec-b")
    for index in 0..<6 {
        let stream = index % 2 == 0 ? "exec-a" : "exec-b"
        try store.append(
            [
                try NewEvent(
                    type: "LogLinesReceived",
                    encoding: ["taskRunId": "t\(index % 3)", "text": "line \"\(index)\" é ☃ \\ / </script>\n"]),
                try NewEvent(type: "JobPolled", encoding: ["taskRunId": "t\(index % 3)", "state": "RUNNING"]),
            ], to: stream)
    }
    try store.append([NewEvent(type: "Opaque", payload: Data([0xff, 0x00, 0x0a, 0x7b]))], to: "exec-a")
    try store.append([NewEvent(type: "Empty", payload: Data())], to: "exec-b")
    return store
}

private func lines(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        .map(String.init).filter { !$0.isEmpty }
}

private func write(_ lines: [String], to path: String) throws {
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

@Suite("NDJSON export, offline verification and import")
struct ExportTests {
    @Test("export → verify offline → import: same events, same stream hashes, new global chain, provenance kept")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        let source = try sourceLedger(folder)
        let exportPath = folder.path("all.ndjson")
        let header = try source.exportNDJSON(ExportSelection(), to: .file(exportPath))
        #expect(header.events == 16)
        #expect(header.executions.map(\.id) == ["exec-a", "exec-b"])
        #expect(header.global?.throughSeq == 16)

        let report = try ExportVerifier.verify(path: exportPath)
        #expect(report.isValid, "\(String(describing: report.firstProblem))")
        #expect(report.eventsChecked == 16)
        #expect(report.globalChainChecked)
        // The payload is inlined as JSON (readable with jq), and the opaque one travels as base64.
        let text = try lines(exportPath)
        #expect(text[3].contains("\"payload\":{\"taskRunId\":\"t0\""))
        #expect(text.contains { $0.contains("\"type\":\"Opaque\"") && $0.contains("\"payload_b64\":\"/wAKew==\"") })

        // The receiving ledger already has an execution of its own, so the seqs differ.
        let target = try EventStore(path: folder.path("target.ledger"))
        try target.append([try event("Local")], to: "local")
        let imported = try target.importExport(at: exportPath, batchSize: 5)
        #expect(imported.eventsImported == 16)
        #expect(imported.firstSeq == 2 && imported.lastSeq == 17)

        for stream in ["exec-a", "exec-b"] {
            let before = try source.events(in: stream)
            let after = try target.events(in: stream)
            #expect(after.map(\.streamHash) == before.map(\.streamHash), "stream chain reproduced exactly")
            #expect(after.map(\.payload) == before.map(\.payload))
            #expect(after.map(\.recordedAt) == before.map(\.recordedAt))
            #expect(after.map(\.seq) != before.map(\.seq))
            let provenance = try target.importProvenance(of: stream)
            #expect(provenance.map(\.sourceSeq) == before.map(\.seq))
            #expect(provenance.map(\.sourceHash) == before.map(\.hash))
            #expect(provenance.map(\.importedSeq) == after.map(\.seq))
            #expect(provenance.allSatisfy { $0.sourceLedger == source.path })
        }
        let verification = try target.verify()
        #expect(verification.isValid, "\(String(describing: verification.firstProblem))")
        #expect(verification.eventsChecked == 17)
    }

    @Test("an export of some executions verifies each one's chain, without the global chain")
    func someExecutions() throws {
        let folder = try TemporaryFolder()
        let source = try sourceLedger(folder)
        let path = folder.path("b.ndjson")
        let header = try source.exportNDJSON(ExportSelection(executions: ["exec-b"]), to: .file(path))
        #expect(header.global == nil)
        #expect(header.executions.map(\.events) == [8])
        let report = try ExportVerifier.verify(path: path)
        #expect(report.isValid)
        #expect(!report.globalChainChecked)
        let target = try EventStore(path: folder.path("t.ledger"))
        try target.importExport(at: path)
        #expect(try target.events(in: "exec-b").map(\.streamHash) == source.events(in: "exec-b").map(\.streamHash))
        #expect(try target.currentVersion(of: "exec-a") == 0)
    }

    @Test("an unknown execution is refused by name")
    func unknownExecution() throws {
        let folder = try TemporaryFolder()
        let source = try sourceLedger(folder)
        #expect(throws: ExportError.unknownExecution("nope", ledger: source.path)) {
            try source.exportNDJSON(ExportSelection(executions: ["exec-a", "nope"]), to: .file(folder.path("x")))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("x")), "no half-written export is left")
    }

    @Test("--since-seq: the header names each chain's starting link, so the tail verifies; import refuses it")
    func sinceSeq() throws {
        let folder = try TemporaryFolder()
        let source = try sourceLedger(folder)
        let path = folder.path("tail.ndjson")
        let header = try source.exportNDJSON(ExportSelection(sinceSeq: 9), to: .file(path))
        #expect(header.events == 7)
        #expect(header.executions.map(\.id) == ["exec-b", "exec-a"], "in the order of their first exported event")
        let a = try #require(header.executions.first { $0.id == "exec-a" })
        let b = try #require(header.executions.first { $0.id == "exec-b" })
        let storedA = try source.events(in: "exec-a")
        #expect(a.fromVersion == storedA.first { $0.seq > 9 }!.version)
        #expect(a.startStreamHash == storedA[Int(a.fromVersion) - 2].streamHash.hex)
        let report = try ExportVerifier.verify(path: path)
        #expect(report.isValid, "\(String(describing: report.firstProblem))")
        #expect(report.globalChainChecked)

        let target = try EventStore(path: folder.path("t.ledger"))
        #expect(throws: ExportError.partialStream(path: path, execution: "exec-b", fromVersion: b.fromVersion)) {
            try target.importExport(at: path)
        }
        #expect(try target.lastSeq() == 0)
    }

    @Test("a re-import is refused; an execution grown since its import continues from where it stopped")
    func reimport() throws {
        let folder = try TemporaryFolder()
        let source = try sourceLedger(folder)
        let first = folder.path("first.ndjson")
        try source.exportNDJSON(ExportSelection(executions: ["exec-a"]), to: .file(first))
        let target = try EventStore(path: folder.path("t.ledger"))
        try target.importExport(at: first)
        #expect(throws: ExportError.executionExists(path: first, execution: "exec-a", ledger: target.path)) {
            try target.importExport(at: first)
        }
        // An execution that began in the target itself is never merged into.
        try target.append([try event("Local")], to: "exec-b")
        let b = folder.path("b.ndjson")
        try source.exportNDJSON(ExportSelection(executions: ["exec-b"]), to: .file(b))
        #expect(throws: ExportError.executionExists(path: b, execution: "exec-b", ledger: target.path)) {
            try target.importExport(at: b)
        }

        try source.append([try event("Later"), try event("Later")], to: "exec-a")
        let second = folder.path("second.ndjson")
        try source.exportNDJSON(ExportSelection(executions: ["exec-a"]), to: .file(second))
        let report = try target.importExport(at: second)
        #expect(report.eventsAlreadyPresent == 8)
        #expect(report.eventsImported == 2)
        #expect(try target.events(in: "exec-a").map(\.streamHash) == source.events(in: "exec-a").map(\.streamHash))
        #expect(try target.verify().isValid)
    }
}

@Suite("Envelope lines")
struct ExportLineTests {
    @Test("a line reads back to the same event, whatever its strings hold")
    func roundTrip() throws {
        let payload = Data(#"{"a":"}{][\"\\","b":[1,{"c":null}],"d":"é☃\n"}"#.utf8)
        let event = RecordedEvent(
            seq: 42, stream: "exec \"1\"\\\t\u{1}é", version: 7, type: "Type,\n", schemaVersion: 3,
            recordedAt: "2026-11-29T20:00:00.000001Z", payload: payload, payloadSHA256: SHA256Digest.of(payload),
            prevHash: SHA256Digest.of(Data("p".utf8)), hash: SHA256Digest.of(Data("h".utf8)),
            streamHash: SHA256Digest.of(Data("s".utf8)))
        let line = Data(ExportFormat.line(for: event))
        #expect(!line.contains(UInt8(ascii: "\n")))
        #expect(try JSONSerialization.jsonObject(with: line) is [String: Any], "the line is valid JSON")
        #expect(try ExportFormat.event(fromLine: line) == event)

        // Members in another order, with spaces, and a field this version does not know: still read.
        let reordered = Data(
            (#"{ "payload" : {"x":1} , "seq":1,"stream":"s","version":1,"type":"T","schema_version":1,"#
                + #""recorded_at":"t","payload_sha256":"\#(SHA256Digest.zero.hex)","prev_hash":"\#(SHA256Digest.zero.hex)","#
                + #""hash":"\#(SHA256Digest.zero.hex)","stream_hash":"\#(SHA256Digest.zero.hex)","later":[1] }"#).utf8)
        let read = try ExportFormat.event(fromLine: reordered)
        #expect(read.payload == Data(#"{"x":1}"#.utf8))
        #expect(read.seq == 1 && read.stream == "s")
    }

    @Test("a line with a field of the wrong type, or trailing garbage, is refused with the field's name")
    func refused() throws {
        let good = String(
            decoding: ExportFormat.line(
                for: RecordedEvent(
                    seq: 1, stream: "s", version: 1, type: "T", schemaVersion: 1, recordedAt: "t",
                    payload: Data("{}".utf8), payloadSHA256: .zero, prevHash: .zero, hash: .zero, streamHash: .zero)),
            as: UTF8.self)
        func detail(_ text: String) -> String? {
            do {
                _ = try ExportFormat.event(fromLine: Data(text.utf8))
                return nil
            } catch {
                return error.detail
            }
        }
        #expect(detail(good) == nil)
        #expect(
            detail(good.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":\"1\"")) == "field seq has the wrong type")
        #expect(
            detail(good.replacingOccurrences(of: "\"hash\":\"00", with: "\"hash\":\"zz")) == "hash is not 64 hex digits"
        )
        #expect(detail(good + "x") == "not a JSON object")
        #expect(detail(String(good.dropLast())) == "not a JSON object")
    }
}

@Suite("verify --export finds tampering")
struct ExportTamperTests {
    let folder: TemporaryFolder
    let path: String
    let original: [String]

    init() throws {
        folder = try TemporaryFolder()
        let source = try sourceLedger(folder)
        path = folder.path("export.ndjson")
        try source.exportNDJSON(ExportSelection(), to: .file(path))
        original = try lines(path)
    }

    func problem(_ edited: [String]) throws -> ExportProblem? {
        try write(edited, to: path)
        return try ExportVerifier.verify(path: path).firstProblem
    }

    @Test("a changed payload is named by line and seq")
    func changedPayload() throws {
        var edited = original
        edited[4] = edited[4].replacingOccurrences(of: "RUNNING", with: "FAILED!")
        let found = try #require(try problem(edited))
        #expect(found.line == 5)
        #expect(found.seq == 4)
        #expect(found.detail.contains("payload changed"))
    }

    @Test("a changed time breaks both chains at that line")
    func changedTime() throws {
        var edited = original
        let line = edited[7]
        let range = try #require(line.range(of: "\"recorded_at\":\"20"))
        edited[7] = line.replacingCharacters(in: range, with: "\"recorded_at\":\"19")
        let found = try #require(try problem(edited))
        #expect(found.line == 8 && found.seq == 7)
        #expect(found.detail.contains("hash does not match"))
    }

    @Test("a removed line is named: the line after the gap, and the missing seq")
    func removedLine() throws {
        var edited = original
        edited.remove(at: 4)  // seq 4
        let found = try #require(try problem(edited))
        #expect(found.line == 5)
        #expect(found.seq == 5)
        #expect(found.detail.contains("seq 4 is missing"))
    }

    @Test("a removed last line: the file ends before the header says it does")
    func removedLastLine() throws {
        let found = try #require(try problem(Array(original.dropLast())))
        #expect(found.line == original.count)
        #expect(found.detail.contains("lines are missing"))
    }

    @Test("reordered lines are named as such")
    func reordered() throws {
        var edited = original
        edited.swapAt(6, 7)
        let found = try #require(try problem(edited))
        #expect(found.line == 7)
        #expect(found.seq == 7)
        #expect(found.detail.contains("reordered"))
    }

    @Test("reordered lines of one execution in an export of that execution alone")
    func reorderedInOneExecution() throws {
        let source = try EventStore(path: folder.path("source.ledger"))
        let single = folder.path("a.ndjson")
        try source.exportNDJSON(ExportSelection(executions: ["exec-a"]), to: .file(single))
        var edited = try lines(single)
        edited.swapAt(2, 3)
        try write(edited, to: single)
        let found = try #require(try ExportVerifier.verify(path: single).firstProblem)
        #expect(found.line == 3)
        #expect(found.detail.contains("reordered"))
    }

    @Test("a line that is not an envelope, and a file that is not an export")
    func malformed() throws {
        var edited = original
        edited[3] = "{\"seq\":3}"
        let found = try #require(try problem(edited))
        #expect(found.line == 4 && found.detail.contains("field stream is missing"))

        try write(["{\"hello\":1}"], to: path)
        #expect(throws: ExportError.self) { try ExportVerifier.verify(path: path) }
        var header = original
        header[0] = header[0].replacingOccurrences(of: "\"format_version\":1", with: "\"format_version\":2")
        try write(header, to: path)
        #expect(throws: ExportError.newerFormat(path: path, found: 2)) { try ExportVerifier.verify(path: path) }
    }

    @Test("import refuses a tampered export and writes nothing")
    func importRefuses() throws {
        var edited = original
        edited[4] = edited[4].replacingOccurrences(of: "RUNNING", with: "FAILED!")
        #expect(edited[4] != original[4])
        try write(edited, to: path)
        let target = try EventStore(path: folder.path("t.ledger"))
        #expect(throws: ExportError.self) { try target.importExport(at: path) }
        #expect(try target.lastSeq() == 0)
    }
}
