import Foundation
import GoogleCloud
import Testing

@testable import Engine

/// Batch as a list of job names whose first `jobs.list` waits until the test lets it answer; it answers with the
/// jobs that existed when the call was made, as Batch does.
private actor HeldListBatch: BatchJobs {
    private var existing: Set<String>
    private var held = true
    private var waitingList: CheckedContinuation<Void, Never>?
    private var listStarted: CheckedContinuation<Void, Never>?
    private var listCallsSoFar = 0
    private(set) var getCalls = 0

    init(existing: Set<String>) { self.existing = existing }

    func add(_ name: String) { existing.insert(name) }

    /// Returns once the first `jobs.list` has been called (and is held).
    func firstListCalled() async {
        if listCallsSoFar > 0 { return }
        await withCheckedContinuation { listStarted = $0 }
    }

    func releaseList() {
        held = false
        waitingList?.resume()
        waitingList = nil
    }

    func create(_ job: BatchJob, in location: BatchLocation, jobID: String, requestID: String) async throws
        -> JobCreation
    {
        throw TestFailure(description: "not used")
    }

    func job(_ name: String) async throws -> JobObservation? {
        getCalls += 1
        return existing.contains(name) ? Self.observation(name) : nil
    }

    func jobs(in location: BatchLocation, filter: String) async throws -> [JobObservation] {
        let listed = existing
        listCallsSoFar += 1
        listStarted?.resume()
        listStarted = nil
        if held { await withCheckedContinuation { waitingList = $0 } }
        return listed.map(Self.observation)
    }

    func exitCode(ofJob name: String) async throws -> Int? { nil }

    func delete(_ name: String, requestID: String, reason: String, deadline: Duration) async throws -> Bool { false }

    static func observation(_ name: String) -> JobObservation {
        JobObservation(name: name, uid: "uid-" + name, state: .running, statusEvents: [])
    }
}

@Suite struct BatchWatcherRoundTests {
    /// Jobs created while a long `jobs.list` round is in flight were not in that round's answer: they must be
    /// answered by the next round, not each by a `jobs.get` of its own (at 1,000 jobs, 66 lone calls were seen).
    @Test func jobsWatchedWhileARoundIsInFlightAreAnsweredByTheNextRoundNotByLoneCalls() async throws {
        let batch = HeldListBatch(existing: ["a", "b", "c"])
        let watcher = BatchWatcher(
            jobs: batch, location: BatchLocation(project: "p", region: "r"), filter: "labels.x=\"y\"")
        for name in ["a", "b", "c"] { await watcher.watch(name) }
        let first = Task { try await watcher.job("a") }
        await batch.firstListCalled()

        var newcomers: [Task<JobObservation?, any Error>] = []
        for index in 0..<20 {
            let name = "new-\(index)"
            await batch.add(name)
            await watcher.watch(name)
            newcomers.append(Task { try await watcher.job(name) })
        }
        // Let the newcomers reach the watcher while the first round is still held.
        for _ in 0..<200 { await Task.yield() }
        await batch.releaseList()

        #expect(try await first.value?.name == "a")
        for (index, newcomer) in newcomers.enumerated() {
            #expect(try await newcomer.value?.name == "new-\(index)")
        }
        #expect(await batch.getCalls == 0)
        #expect(await watcher.loneCalls == 0)
    }
}
