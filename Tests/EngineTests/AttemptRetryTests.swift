import GoogleCloud
import Testing

@testable import Engine
@testable import Flows

/// What follows a failed attempt: the task's `retry` (constant, exponential, random; `maxAttempts`,
/// `maxDuration`) and the spot fallback (a preempted SPOT job is retried at once, on STANDARD after too many
/// preemptions).
@Suite struct AttemptRetryTests {
    private func seconds(_ value: Int64) -> Located<ISODuration> { located(ISODuration(seconds: value)) }

    private func policy(
        _ kind: Flows.RetryPolicy.Kind, maxAttempts: Int? = nil, maxDuration: Int64? = nil
    ) -> Flows.RetryPolicy {
        Flows.RetryPolicy(
            kind: kind, maxAttempts: maxAttempts.map { located($0) }, maxDuration: maxDuration.map(seconds),
            warningOnRetry: located(false), location: testLocation)
    }

    private func delay(_ policy: Flows.RetryPolicy?, attempt: Int, elapsed: Duration = .zero) -> Duration? {
        var generator = SeededGenerator(state: 1)
        return AttemptRetry.delay(policy, attempt: attempt, elapsed: elapsed, using: &generator)
    }

    private func afterFailure(
        preempted: Bool, on provisioning: GoogleCloud.ProvisioningModel, preemptionsSoFar: Int, limit: Int = 2,
        retry: Flows.RetryPolicy? = nil, attempt: Int = 1
    ) -> AttemptRetry {
        var generator = SeededGenerator(state: 1)
        return AttemptRetry.afterFailure(
            preempted: preempted, provisioning: provisioning, spotPreemptions: preemptionsSoFar,
            spotAttemptsBeforeStandard: limit, retry: retry, attempt: attempt, elapsed: .zero, using: &generator)
    }

    @Test func withoutARetryPolicyAFailureIsFinal() {
        #expect(delay(nil, attempt: 1) == nil)
    }

    @Test func aConstantRetryWaitsTheSameIntervalEachTime() {
        let constant = policy(.constant(interval: seconds(30)), maxAttempts: 5)
        #expect(delay(constant, attempt: 1) == .seconds(30))
        #expect(delay(constant, attempt: 4) == .seconds(30))
    }

    @Test func anExponentialRetryMultipliesByItsFactorUpToMaxInterval() {
        let exponential = policy(
            .exponential(interval: seconds(10), maxInterval: seconds(100), delayFactor: located(3)), maxAttempts: 10)
        #expect(delay(exponential, attempt: 1) == .seconds(10))
        #expect(delay(exponential, attempt: 2) == .seconds(30))
        #expect(delay(exponential, attempt: 3) == .seconds(90))
        #expect(delay(exponential, attempt: 4) == .seconds(100))
    }

    @Test func anExponentialRetryDoublesWithoutAFactor() {
        let exponential = policy(
            .exponential(interval: seconds(1), maxInterval: seconds(3_600), delayFactor: nil), maxAttempts: 10)
        let waits = [1, 2, 3, 4].map { delay(exponential, attempt: $0) }
        #expect(waits == [.seconds(1), .seconds(2), .seconds(4), .seconds(8)])
    }

    @Test func aRandomRetryWaitsBetweenItsBounds() {
        let random = policy(.random(minInterval: seconds(5), maxInterval: seconds(10)), maxAttempts: 100)
        var generator = SeededGenerator(state: 42)
        var seen: Set<Duration> = []
        for attempt in 1...50 {
            guard let wait = AttemptRetry.delay(random, attempt: attempt, elapsed: .zero, using: &generator) else {
                Issue.record("a random retry within maxAttempts gave no wait")
                continue
            }
            #expect(wait >= .seconds(5) && wait <= .seconds(10))
            seen.insert(wait)
        }
        #expect(seen.count > 1, "the wait should vary")
    }

    @Test func aRandomRetryWhoseBoundsAreReversedWaitsItsMinimum() {
        let random = policy(.random(minInterval: seconds(8), maxInterval: seconds(2)), maxAttempts: 3)
        #expect(delay(random, attempt: 1) == .seconds(8))
    }

    @Test func maxAttemptsCountsEveryAttemptMadeSoFar() {
        let constant = policy(.constant(interval: seconds(1)), maxAttempts: 3)
        #expect(delay(constant, attempt: 2) == .seconds(1))
        #expect(delay(constant, attempt: 3) == nil)
        #expect(delay(constant, attempt: 4) == nil)
    }

    @Test func maxDurationStopsRetriesOnceTheTaskRunHasTakenThatLong() {
        let constant = policy(.constant(interval: seconds(1)), maxDuration: 60)
        #expect(delay(constant, attempt: 50, elapsed: .seconds(59)) == .seconds(1))
        #expect(delay(constant, attempt: 50, elapsed: .seconds(60)) == nil)
    }

    @Test func aPreemptedSpotAttemptIsRetriedAtOnceOnSpotWithoutARetryPolicy() {
        let next = afterFailure(preempted: true, on: .spot, preemptionsSoFar: 0)
        #expect(next == AttemptRetry(delay: .zero, provisioning: .spot, spotPreemptions: 1))
    }

    @Test func thePreemptionPastTheLimitMovesTheNextAttemptToStandard() {
        let second = afterFailure(preempted: true, on: .spot, preemptionsSoFar: 1)
        #expect(second == AttemptRetry(delay: .zero, provisioning: .spot, spotPreemptions: 2))
        let third = afterFailure(preempted: true, on: .preemptible, preemptionsSoFar: 2)
        #expect(third == AttemptRetry(delay: .zero, provisioning: .standard, spotPreemptions: 3))
    }

    @Test func withNoSpotAttemptsAllowedTheFirstPreemptionMovesToStandard() {
        let next = afterFailure(preempted: true, on: .spot, preemptionsSoFar: 0, limit: 0)
        #expect(next == AttemptRetry(delay: .zero, provisioning: .standard, spotPreemptions: 1))
    }

    @Test func aPreemptionOnStandardFollowsTheTasksRetryPolicy() {
        let none = afterFailure(preempted: true, on: .standard, preemptionsSoFar: 3)
        #expect(none == AttemptRetry(delay: nil, provisioning: .standard, spotPreemptions: 3))
        let constant = policy(.constant(interval: seconds(7)), maxAttempts: 9)
        let retried = afterFailure(preempted: true, on: .standard, preemptionsSoFar: 3, retry: constant, attempt: 4)
        #expect(retried == AttemptRetry(delay: .seconds(7), provisioning: .standard, spotPreemptions: 3))
    }

    @Test func aFailureThatIsNotAPreemptionFollowsTheRetryPolicyOnTheSameModel() {
        let none = afterFailure(preempted: false, on: .spot, preemptionsSoFar: 1)
        #expect(none == AttemptRetry(delay: nil, provisioning: .spot, spotPreemptions: 1))
        let constant = policy(.constant(interval: seconds(7)), maxAttempts: 2)
        #expect(afterFailure(preempted: false, on: .spot, preemptionsSoFar: 0, retry: constant).delay == .seconds(7))
        #expect(
            afterFailure(preempted: false, on: .spot, preemptionsSoFar: 0, retry: constant, attempt: 2).delay == nil)
    }

    @Test func preemptionsDoNotUseUpTheTasksMaxAttempts() {
        let once = policy(.constant(interval: seconds(7)), maxAttempts: 1)
        let next = afterFailure(preempted: true, on: .spot, preemptionsSoFar: 0, retry: once, attempt: 5)
        #expect(next.delay == .zero)
    }

    @Test(arguments: [(0, GoogleCloud.ProvisioningModel.spot), (2, .spot), (3, .standard)])
    func aResumedTaskRunStartsOnStandardOnlyPastThePreemptionLimit(
        preemptions: Int, expected: GoogleCloud.ProvisioningModel
    ) {
        #expect(
            AttemptRetry.provisioning(requested: .spot, spotPreemptions: preemptions, spotAttemptsBeforeStandard: 2)
                == expected)
    }

    @Test func onlyAttemptsThatEndedWithBatchsPreemptionCodeArePreemptions() {
        var state = ExecutionState()
        for (attempt, code) in [(1, 50001), (2, 1), (3, 50001), (4, 50002)] {
            state.apply(.attemptStarted(Events.attemptStarted(attempt: attempt)), at: "t")
            state.apply(
                .exitCodeObserved(ExitCodeObserved(taskRunId: "t1", attempt: attempt, exitCode: code, meaning: nil)),
                at: "t")
        }
        #expect(AttemptRetry.preemptions(in: state.taskRuns[0].attempts) == 2)
    }

    @Test func theScriptRunnersProvisioningModelsMapToBatchsNames() {
        #expect(BatchRunner.ProvisioningModel.allCases.map { ScriptTaskRun.model($0).name } == [
            "STANDARD", "SPOT", "PREEMPTIBLE",
        ])
    }
}
