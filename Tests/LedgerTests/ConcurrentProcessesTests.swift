import Foundation
import Testing

@testable import Ledger

@Suite("Several processes on one ledger")
struct ConcurrentProcessesTests {
    /// The `ledger-bench` tool built beside the test bundle: a separate OS process that appends.
    static func benchTool() throws -> URL {
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleFolder.appendingPathComponent("ledger-bench"),
            bundleFolder.deletingLastPathComponent().appendingPathComponent("ledger-bench"),
        ]
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        let found = try #require(
            Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent().appendingPathComponent("ledger-bench") }
                .first { FileManager.default.isExecutableFile(atPath: $0.path) },
            "ledger-bench was not built next to the tests (\(candidates.map(\.path)))")
        return found
    }

    @Test("two processes appending at once lose nothing and never interleave a batch")
    func twoProcesses() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("shared.ledger")
        _ = try EventStore(path: path)
        let tool = try Self.benchTool()
        let batches = 200
        let size = 7
        let go = folder.path("go")
        let workers = try (1...2).map { worker in
            let process = Process()
            process.executableURL = tool
            process.arguments = ["append", path, String(worker), String(batches), String(size), go]
            try process.run()
            return process
        }
        // Both processes are up and waiting; let them start together.
        try Data().write(to: URL(fileURLWithPath: go))
        for process in workers {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }

        let store = try EventStore(path: path)
        let events = try store.events(in: "shared")
        #expect(events.count == 2 * batches * size)
        #expect(events.map(\.version) == Array(1...Int64(events.count)))
        #expect(events.map(\.seq) == Array(1...Int64(events.count)))

        struct Entry: Decodable, Equatable {
            var worker: Int
            var batch: Int
            var index: Int
        }
        let entries = try events.map { try $0.decode(Entry.self) }
        // Every batch sits in one contiguous run of seq, with its events in order.
        var position = 0
        var nextBatch = [1: 0, 2: 0]
        while position < entries.count {
            let head = entries[position]
            #expect(head.index == 0)
            #expect(head.batch == nextBatch[head.worker], "batches of one worker stay in order")
            for offset in 0..<size {
                #expect(entries[position + offset] == Entry(worker: head.worker, batch: head.batch, index: offset))
                #expect(events[position + offset].recordedAt == events[position].recordedAt)
            }
            nextBatch[head.worker, default: 0] += 1
            position += size
        }
        #expect(nextBatch == [1: batches, 2: batches])
        #expect(Set(entries.prefix(batches * size).map(\.worker)).count == 2, "the two writers really overlapped")
        #expect(try store.verify().isValid)
    }
}
