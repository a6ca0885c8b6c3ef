import Templates
import Testing

@testable import Engine

/// How an execution ends: CANCELLED over FAILED over WARNING over SUCCEEDED; `allowFailure` turns a failure into
/// a warning; a recovery that fails on the outside world leaves the execution interrupted.
@Suite struct FinalStateTests {
    private struct Refused: Error {}

    private func runs(_ states: [(String, Bool)]) -> [TaskRunState] {
        states.enumerated().map { index, entry in
            var run = TaskRunState(taskRunId: "t\(index)", taskId: "t\(index)", value: nil)
            run.state = entry.0
            run.allowedFailure = entry.1
            return run
        }
    }

    @Test func anExecutionWhoseTasksAllSucceededSucceeds() {
        let taskRuns = runs([("SUCCEEDED", false), ("SUCCEEDED", false)])
        #expect(FinalState.of(taskRuns: taskRuns, problem: nil) == "SUCCEEDED")
    }

    @Test func anExecutionWithoutTaskRunsSucceeds() {
        #expect(FinalState.of(taskRuns: [], problem: nil) == "SUCCEEDED")
    }

    @Test func aTaskRunThatEndedWarningMakesTheExecutionWarning() {
        #expect(FinalState.of(taskRuns: runs([("SUCCEEDED", false), ("WARNING", false)]), problem: nil) == "WARNING")
    }

    @Test func anAllowedFailureMakesTheExecutionWarning() {
        #expect(FinalState.of(taskRuns: runs([("FAILED", true), ("SUCCEEDED", false)]), problem: nil) == "WARNING")
    }

    @Test func aFailureThatIsNotAllowedFailsTheExecutionOverWarnings() {
        let taskRuns = runs([("WARNING", false), ("FAILED", true), ("FAILED", false)])
        #expect(FinalState.of(taskRuns: taskRuns, problem: nil) == "FAILED")
    }

    @Test func aCancelledTaskRunCancelsTheExecutionOverFailures() {
        let taskRuns = runs([("FAILED", false), ("CANCELLED", false), ("SUCCEEDED", false)])
        #expect(FinalState.of(taskRuns: taskRuns, problem: nil) == "CANCELLED")
    }

    @Test func aCancellationCancelsTheExecutionEvenWhenEveryTaskRunSucceeded() {
        #expect(FinalState.of(taskRuns: runs([("SUCCEEDED", false)]), problem: CancellationError()) == "CANCELLED")
    }

    @Test func anErrorThatStoppedTheRunFailsTheExecutionWhateverItsTaskRuns() {
        #expect(FinalState.of(taskRuns: runs([("SUCCEEDED", false)]), problem: Refused()) == "FAILED")
        #expect(FinalState.of(taskRuns: runs([("WARNING", false)]), problem: FlowProblems(["x"])) == "FAILED")
    }

    @Test func aRunningTaskRunDoesNotChangeTheOutcome() {
        let taskRuns = runs([("RUNNING", false), ("SUCCEEDED", false)])
        #expect(FinalState.of(taskRuns: taskRuns, problem: nil) == "SUCCEEDED")
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
