import Templates
import Testing

@testable import Engine

/// How an execution ends: CANCELLED over FAILED over WARNING over SUCCEEDED; `allowFailure` turns a failure into
/// a warning; a recovery that fails on the outside world leaves the execution interrupted.
@Suite struct FinalStateTests {
    private struct Refused: Error {}

    private func runs(_ states: [(RunState, Bool)]) -> [TaskRunState] {
        states.enumerated().map { index, entry in
            var run = TaskRunState(taskRunId: "t\(index)", taskId: "t\(index)", value: nil)
            run.state = entry.0
            run.allowedFailure = entry.1
            return run
        }
    }

    @Test func anExecutionWhoseTasksAllSucceededSucceeds() {
        let taskRuns = runs([(.succeeded, false), (.succeeded, false)])
        #expect(FinalState.of(taskRuns: taskRuns, problem: nil) == .succeeded)
    }

    @Test func anExecutionWithoutTaskRunsSucceeds() {
        #expect(FinalState.of(taskRuns: [], problem: nil) == .succeeded)
    }

    @Test func aTaskRunThatEndedWarningMakesTheExecutionWarning() {
        #expect(FinalState.of(taskRuns: runs([(.succeeded, false), (.warning, false)]), problem: nil) == .warning)
    }

    @Test func anAllowedFailureMakesTheExecutionWarning() {
        #expect(FinalState.of(taskRuns: runs([(.failed, true), (.succeeded, false)]), problem: nil) == .warning)
    }

    @Test func aFailureThatIsNotAllowedFailsTheExecutionOverWarnings() {
        let taskRuns = runs([(.warning, false), (.failed, true), (.failed, false)])
        #expect(FinalState.of(taskRuns: taskRuns, problem: nil) == .failed)
    }

    @Test func aFailureFailsTheExecutionOverTheSiblingsItCancelled() {
        let taskRuns = runs([(.failed, false), (.cancelled, false), (.succeeded, false)])
        #expect(FinalState.of(taskRuns: taskRuns, problem: nil) == .failed)
    }

    @Test func aKillCancelsTheExecutionOverFailures() {
        let taskRuns = runs([(.failed, false), (.cancelled, false)])
        #expect(FinalState.of(taskRuns: taskRuns, problem: CancellationError()) == .cancelled)
    }

    @Test func aCancelledTaskRunWithoutAFailureCancelsTheExecution() {
        #expect(FinalState.of(taskRuns: runs([(.succeeded, false), (.cancelled, false)]), problem: nil) == .cancelled)
    }

    @Test func aCancellationCancelsTheExecutionEvenWhenEveryTaskRunSucceeded() {
        #expect(FinalState.of(taskRuns: runs([(.succeeded, false)]), problem: CancellationError()) == .cancelled)
    }

    @Test func anErrorThatStoppedTheRunFailsTheExecutionWhateverItsTaskRuns() {
        #expect(FinalState.of(taskRuns: runs([(.succeeded, false)]), problem: Refused()) == .failed)
        #expect(FinalState.of(taskRuns: runs([(.warning, false)]), problem: FlowProblems(["x"])) == .failed)
    }

    @Test func aRunningTaskRunDoesNotChangeTheOutcome() {
        let taskRuns = runs([(.running, false), (.succeeded, false)])
        #expect(FinalState.of(taskRuns: taskRuns, problem: nil) == .succeeded)
    }

    @Test func aRecoveryThatFailedOnTheOutsideWorldLeavesTheExecutionInterrupted() {
        #expect(FinalState.staysInterrupted(recovering: true, problem: Refused()))
        #expect(!FinalState.staysInterrupted(recovering: false, problem: Refused()))
        #expect(!FinalState.staysInterrupted(recovering: true, problem: nil))
    }

    @Test func aRecoveryStoppedByCancellationOrAFlowOrTemplateProblemEndsTheExecution() {
        let template = TemplateError(
            .undefinedVariable, at: Templates.SourceLocation(file: "f.yaml", line: 1, column: 1), "undefined 'x'")
        #expect(!FinalState.staysInterrupted(recovering: true, problem: CancellationError()))
        #expect(!FinalState.staysInterrupted(recovering: true, problem: FlowProblems(["bad flow"])))
        #expect(!FinalState.staysInterrupted(recovering: true, problem: template))
    }
}
