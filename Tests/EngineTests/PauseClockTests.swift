import Clocks
import Flows
import Foundation
import Ledger
import Templates
import Testing

@testable import Engine

/// A Pause waits on the engine's injected clock: an hour's pause on a stepping clock ends at once, with the clock
/// an hour on, and the flow goes on after it.
@Suite struct PauseClockTests {
    @Test func aPauseWaitsThroughTheInjectedClock() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pause-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = """
            id: pause
            namespace: company.team
            tasks:
              - id: nap
                type: io.kestra.plugin.core.flow.Pause
                delay: PT1H
              - id: after
                type: io.kestra.plugin.core.debug.Return
                format: awake
            """
        let path = folder.appendingPathComponent("pause.yaml").path
        let flow = try ExecutionRunner.load(flowPath: path, source: source)
        let store = try EventStore(
            path: folder.appendingPathComponent("test.ledger").path, options: .init(durable: false))
        let clock = SteppingClock()
        var timing = Timing.standard
        timing.leaseHeartbeat = nil
        let configuration = RunConfiguration(
            target: CloudTarget(
                backend: Backend(kind: .replay, endpoint: nil),
                world: RecordedWorld(events: [], state: ExecutionState()), timing: timing),
            secrets: SecretStore(), environment: [:], outputDirectory: folder, namespaceFilesDirectory: nil,
            clock: AnyClock(clock))
        let before = clock.now
        let state = try await ExecutionRunner(store: store, configuration: configuration)
            .run(flow: flow, flowPath: path, source: source, inputs: [:])
        #expect(state.state == .succeeded)
        #expect(state.taskRuns.map(\.taskId) == ["nap", "after"])
        #expect(state.taskRun("after")?.vars["value"] == .string("awake"))
        // The pause waits its hour less what passed since its recorded start (a resumed pause waits only the rest).
        let waited = before.duration(to: clock.now)
        #expect(waited <= .seconds(3_600))
        #expect(waited > .seconds(3_000), "the hour passed on the injected clock, not on the wall clock")
    }
}
