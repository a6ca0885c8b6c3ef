import Foundation
import Ledger
import Synchronization
import Templates
import Testing

@testable import Engine
@testable import Server

/// A target resolver for executions that are never driven here.
private struct RefusingTargets: TargetResolver {
    struct Refused: Error {}
    func target(for backend: Backend) async throws -> ResolvedTarget { throw Refused() }
}

/// The ledgers' clock, moved by hand.
private final class ManualTime: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_000))
    var read: @Sendable () -> Date { { [self] in now.withLock { $0 } } }
    func advance(by seconds: Double) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("A replica takes an execution over by the TTL its lease's holder chose")
struct TakeoverTTLTests {
    @Test("a short-TTL holder's executions are taken over once the ledger answered for that TTL; a long one's are not")
    func takeoversFollowTheHoldersTTL() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("takeover-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("l.ledger").path
        let time = ManualTime()
        // Another replica, on another host, drives two executions: one under a 5 s TTL, one under 60 s.
        let other = try EventStore(path: path, options: .init(clock: time.read, host: "other.example"))
        for (id, ttl) in [("exec-short", 5.0), ("exec-long", 60.0)] {
            let started = ExecutionEvent.executionStarted(
                ExecutionStarted(
                    executionId: id, namespace: "company.team", flowId: "hello", flowRevision: 1,
                    flowPath: "hello.yaml", flowSource: "id: hello", flowSHA256: "", inputs: [:], labels: [:],
                    backend: Backend(kind: .local, endpoint: nil), outputDirectory: "/out",
                    namespaceFilesDirectory: nil, namespaceFileDigests: [:], forkedFrom: nil))
            try await other.append([try started.encoded()], to: id, expectedVersion: .noStream)
            guard case .acquired = try await other.acquireLease(id, owner: "batchledger serve", ttl: ttl) else {
                Issue.record("a free lease was refused")
                return
            }
        }
        // This replica's own TTL is the default, 10 s: it plays no part.
        let here = try EventStore(path: path, options: .init(clock: time.read, host: "here.example"))
        let host = ExecutionHost(
            engine: Engine(store: here, targets: RefusingTargets(), environment: [:]),
            backend: Backend(kind: .local, endpoint: nil), secrets: SecretStore(),
            outputDirectory: folder.appendingPathComponent("outputs"))
        time.advance(by: 6)
        #expect(try host.takeOverOrphans(ledgerAnsweredFor: 3).isEmpty, "answered for less than the holder's 5 s")
        #expect(try host.takeOverOrphans(ledgerAnsweredFor: 5) == ["exec-short"])
        time.advance(by: 54)
        #expect(try !host.takeOverOrphans(ledgerAnsweredFor: 100).contains("exec-long"), "60 s old, TTL 60 s")
        time.advance(by: 1)
        #expect(try !host.takeOverOrphans(ledgerAnsweredFor: 59).contains("exec-long"))
        #expect(try host.takeOverOrphans(ledgerAnsweredFor: 60).contains("exec-long"))
    }
}
