import Foundation
import Testing

@testable import Ledger

@Suite("The origin of an imported execution")
struct ImportOriginTests {
    @Test("an imported execution names its source ledger and import time; a local one has no origin")
    func origin() throws {
        let folder = try TemporaryFolder()
        let source = try EventStore(path: folder.path("source.ledger"))
        try source.append([try event("ExecutionStarted")], to: "exec-a")
        try source.append([try event("Step"), try event("Step")], to: "exec-a")
        try source.append([try event("ExecutionStarted")], to: "exec-b")
        let exportPath = folder.path("a.ndjson")
        try source.exportNDJSON(ExportSelection(executions: ["exec-a"]), to: .file(exportPath))

        let target = try EventStore(path: folder.path("target.ledger"))
        try target.append([try event("ExecutionStarted")], to: "local")
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try target.importExport(at: exportPath, batchSize: 1, importedAt: at)

        let origin = try #require(try target.importOrigin(of: "exec-a"))
        #expect(origin.sourceLedger == source.path)
        #expect(origin.importedAt == Timestamp.rfc3339(at))
        #expect(try target.importOrigin(of: "local") == nil)
        #expect(try target.importOrigin(of: "absent") == nil)
        #expect(try source.importOrigin(of: "exec-a") == nil, "the source recorded it itself")
        #expect(try target.importedStreams() == ["exec-a"])
        #expect(try target.importOrigins() == ["exec-a": origin])
    }

    @Test("a ledger opened read-only answers too")
    func readOnly() throws {
        let folder = try TemporaryFolder()
        let source = try EventStore(path: folder.path("source.ledger"))
        try source.append([try event("ExecutionStarted")], to: "exec-a")
        let exportPath = folder.path("a.ndjson")
        try source.exportNDJSON(ExportSelection(), to: .file(exportPath))
        let targetPath = folder.path("target.ledger")
        try EventStore(path: targetPath).importExport(at: exportPath)
        let reader = try EventStore(path: targetPath, options: .init(readOnly: true))
        #expect(try reader.importOrigin(of: "exec-a")?.sourceLedger == source.path)
        #expect(try reader.importedStreams() == ["exec-a"])
    }
}
