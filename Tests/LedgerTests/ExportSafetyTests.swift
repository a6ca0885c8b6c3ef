import Foundation
import Testing

@testable import Ledger

/// A one-execution export of `stream` from a fresh ledger in `folder`.
private func export(of stream: String, in folder: TemporaryFolder) throws -> String {
    let source = try EventStore(path: folder.path("source-\(UUID().uuidString).ledger"))
    try source.append([try event("ExecutionStarted"), try event("Step", ["n": 1])], to: stream)
    let path = folder.path("export-\(UUID().uuidString).ndjson")
    try source.exportNDJSON(ExportSelection(), to: .file(path))
    return path
}

/// Replaces `old` with `new` in the file's first line (the header), leaving the event lines alone.
private func editHeader(_ path: String, _ old: String, _ new: String) throws {
    var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
    lines[0] = lines[0].replacingOccurrences(of: old, with: new)
    try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

@Suite("Exports and imports at the trust boundary")
struct ExportSafetyTests {
    @Test("import refuses execution ids that could name a path or flood a message, naming line 1; writes nothing")
    func badExecutionIds() throws {
        let folder = try TemporaryFolder()
        for bad in ["../../x", "a/b", "..", "exec\u{1b}[31m", "é", "exec a", String(repeating: "x", count: 65)] {
            let path = try export(of: "placeholder", in: folder)
            let escaped = bad.replacingOccurrences(of: "\u{1b}", with: "\\u001b")
            try editHeader(path, "\"placeholder\"", "\"\(escaped)\"")
            let target = try EventStore(path: folder.path("target-\(UUID().uuidString).ledger"))
            #expect(throws: ExportError.invalidExecutionId(path: path, line: 1, id: bad), "\(bad)") {
                try target.importExport(at: path)
            }
            #expect(try target.lastSeq() == 0)
        }
        let long = String(repeating: "y", count: 100_000)
        let description = ExportError.invalidExecutionId(path: "f", line: 1, id: long).description
        #expect(description.count < 600 && description.contains("…"), "a value from the file is quoted short")
        #expect(!ExportError.invalidExecutionId(path: "f", line: 1, id: "\u{1b}[2J").description.contains("\u{1b}"))
    }

    @Test("the ids the engine makes, and the names tests use, import")
    func goodExecutionIds() throws {
        #expect(ExecutionID.isValid("01m8mk9b2qp0zt990q0wv55kjk"))
        #expect(ExecutionID.isValid("exec-a") && ExecutionID.isValid("A_b-9"))
        let folder = try TemporaryFolder()
        let path = try export(of: "01m8mk9b2qp0zt990q0wv55kjk", in: folder)
        let target = try EventStore(path: folder.path("t.ledger"))
        #expect(try target.importExport(at: path).eventsImported == 2)
    }

    @Test("a page's file name stays inside the output folder, whatever the execution id")
    func pagePath() throws {
        let folder = try TemporaryFolder()
        let out = folder.path("pages")
        #expect(try ExecutionID.path(for: "exec-a", suffix: ".html", in: out) == out + "/exec-a.html")
        for id in ["../../x", "..", ".", "/etc/passwd", "a/../../b", "", String(repeating: "z", count: 5000)] {
            let path = try ExecutionID.path(for: id, suffix: ".html", in: out)
            #expect((path as NSString).deletingLastPathComponent == out, "\(id) → \(path)")
            let name = (path as NSString).lastPathComponent
            #expect(name.hasPrefix("execution-") && name.hasSuffix(".html") && name.count < 100)
        }
        #expect(
            try ExecutionID.path(for: "../x", suffix: ".html", in: out)
                != ExecutionID.path(for: "../y", suffix: ".html", in: out))
    }

    @Test("a symlink planted at the old temporary name is not followed: its target stays as it was")
    func plantedSymlink() throws {
        let folder = try TemporaryFolder()
        let victim = folder.path("victim")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let output = folder.path("out.ndjson")
        try FileManager.default.createSymbolicLink(
            atPath: output + ".partial-\(getpid())", withDestinationPath: victim)
        let store = try ledger(with: 4, in: folder)
        try store.exportNDJSON(ExportSelection(), to: .file(output))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        #expect(try ExportVerifier.verify(path: output).isValid)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: output)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path)
            .filter { $0.hasPrefix("out.ndjson.partial-") && $0 != "out.ndjson.partial-\(getpid())" }
        #expect(leftovers.isEmpty, "the temporary file was renamed into place")
    }

    @Test("the temporary name cannot be guessed: two exports to one path use two names")
    func unpredictableName() throws {
        let folder = try TemporaryFolder()
        let output = folder.path("out.csv")
        let first = try ExportOutput.file(output)
        let second = try ExportOutput.file(output)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.url.path)
            .filter { $0.hasPrefix("out.csv.partial-\(getpid())-") }
        #expect(names.count == 2)
        try first.finish()
        try second.finish()
    }

    @Test("a line past the limit is refused by number, without reading on; /dev/zero is not read without end")
    func lineLimit() throws {
        let folder = try TemporaryFolder()
        let store = try EventStore(path: folder.path("l.ledger"))
        try store.append([try event("Small")], to: "exec-a")
        try store.append(
            [NewEvent(type: "Big", payload: Data("{\"text\":\"\(String(repeating: "x", count: 4000))\"}".utf8))],
            to: "exec-a")
        let path = folder.path("e.ndjson")
        try store.exportNDJSON(ExportSelection(), to: .file(path))
        #expect(try ExportVerifier.verify(path: path).isValid)
        let report = try ExportVerifier.verify(path: path, maximumLineLength: 2048)
        #expect(report.firstProblem?.line == 3)
        #expect(report.firstProblem?.detail.contains("longer than 2 KiB") == true)
        let target = try EventStore(path: folder.path("t.ledger"))
        #expect(throws: ExportError.self) { try target.importExport(at: "/dev/zero") }

        #expect(throws: ExportError.lineTooLong(path: "/dev/zero", line: 1, limit: 1 << 20)) {
            try ExportVerifier.verify(path: "/dev/zero", maximumLineLength: 1 << 20)
        }
        #expect(throws: ExportError.lineTooLong(path: path, line: 1, limit: 100)) {
            try ExportReader(path: path, maximumLineLength: 100)
        }
        #expect(
            ExportError.lineTooLong(path: "/dev/zero", line: 1, limit: 64 << 20).description.hasPrefix(
                "/dev/zero:1: the line is longer than 64 MiB"))
    }

    @Test("a read error is reported, not taken for the end of the file")
    func folderIsNotAnExport() throws {
        let folder = try TemporaryFolder()
        let error = #expect(throws: ExportError.self) { try ExportVerifier.verify(path: folder.url.path) }
        guard case .cannotRead = error else {
            Issue.record("expected cannotRead, got \(String(describing: error))")
            return
        }
    }
}
