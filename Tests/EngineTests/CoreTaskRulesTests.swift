import Foundation
import Testing

@testable import Engine

/// The rules of the tasks that need no container: Kestra's truth of an If condition, what a resumed Pause still
/// waits, how flow outputs take their declared types, and how handlers decide an execution's final state.
@Suite struct CoreTaskRulesTests {
    @Test(arguments: [
        ("0", false), ("false", false), ("-0", false), ("", false), ("  ", false), (" false\n", false),
        ("true", true), ("1", true), ("yes", true), ("FALSE", true), ("0.0", true), (" true\n", true),
    ])
    func kestrasTruthOfAnIfCondition(text: String, truth: Bool) {
        #expect(CoreTaskRun.isTruthy(text) == truth)
    }

    @Test func aPauseWaitsItsDelayLessWhatHasPassedSinceItsRecordedStart() {
        let start = Date(timeIntervalSince1970: 1_000_000)
        let delay = Duration.seconds(60)
        #expect(PauseTiming.remaining(of: delay, startedAt: start, now: start) == .seconds(60))
        #expect(PauseTiming.remaining(of: delay, startedAt: start, now: start + 45) == .seconds(15))
        #expect(PauseTiming.remaining(of: delay, startedAt: start, now: start + 60) == .zero)
        #expect(PauseTiming.remaining(of: delay, startedAt: start, now: start + 3_600) == .zero, "resumed late")
        #expect(PauseTiming.remaining(of: delay, startedAt: start, now: start - 10) == .seconds(60), "clock behind")
        #expect(PauseTiming.remaining(of: delay, startedAt: nil, now: start) == .seconds(60))
    }

    @Test func flowOutputsTakeTheirDeclaredTypes() {
        #expect(FlowOutputs.typed(" 42 ", .int) == .number(42))
        #expect(FlowOutputs.typed("4.5", .int) == nil)
        #expect(FlowOutputs.typed("4.5", .float) == .number(EventNumber(floatLiteral: 4.5)))
        #expect(FlowOutputs.typed("True", .boolean) == .bool(true))
        #expect(FlowOutputs.typed("maybe", .boolean) == nil)
        #expect(FlowOutputs.typed(" padded ", .string) == .string(" padded "))
        #expect(FlowOutputs.typed("{\"a\": [1]}", .json) == .object(["a": .array([.number(1)])]))
        #expect(FlowOutputs.typed("{a", .json) == nil)
    }

    @Test func templatesReadKestrasStateNames() {
        #expect(FlowOutputs.kestraName(.succeeded) == "SUCCESS")
        #expect(FlowOutputs.kestraName(.cancelled) == "KILLED")
        #expect(FlowOutputs.kestraName(.warning) == "WARNING")
        #expect(FlowOutputs.kestraName(.failed) == "FAILED")
        #expect(FlowOutputs.kestraName(.running) == "RUNNING")
    }

    private func run(_ id: String, _ state: RunState, allowed: Bool = false) -> TaskRunState {
        var run = TaskRunState(taskRunId: id, taskId: id, value: nil)
        run.state = state
        run.allowedFailure = allowed
        return run
    }

    @Test func errorsNeverTurnAFailureIntoASuccess() {
        // The failed task, then its `errors` handler that succeeded: the flow did not succeed.
        let runs = [run("boom", .failed), run("on_error", .succeeded)]
        #expect(FinalState.of(taskRuns: runs, problem: nil, flowSucceeded: false) == .failed)
    }

    @Test func aFailureAllowedAroundATaskMakesTheExecutionWarning() {
        // A failed task inside a Sequential that allows failure: the flow went on.
        let runs = [run("block", .failed, allowed: true), run("boom", .failed), run("next", .succeeded)]
        #expect(FinalState.of(taskRuns: runs, problem: nil, flowSucceeded: true) == .warning)
    }

    @Test func aFailureFailsTheExecutionOverTheSiblingsItCancelled() {
        // One ForEach iteration failed; the others were cancelled because of it, not by a kill.
        let runs = [run("each[0]", .failed), run("each[1]", .cancelled), run("each[2]", .cancelled)]
        #expect(FinalState.of(taskRuns: runs, problem: nil, flowSucceeded: false) == .failed)
    }

    @Test func siblingsCancelledByAnAllowedFailureMakeItWarning() {
        // An AllowFailure around a ForEach: one iteration failed, the others were stopped; the flow went on.
        let runs = [
            run("guard", .failed, allowed: true), run("each[0]", .failed), run("each[1]", .cancelled),
            run("next", .succeeded),
        ]
        #expect(FinalState.of(taskRuns: runs, problem: nil, flowSucceeded: true) == .warning)
    }

    @Test func aCancelledRunCancelsTheExecutionEvenAfterFinallyRan() {
        let runs = [run("sleeps", .cancelled), run("cleanup", .succeeded)]
        #expect(FinalState.of(taskRuns: runs, problem: CancellationError(), flowSucceeded: false) == .cancelled)
    }

    @Test func theFoldKeepsACoreTaskRunsTypeBranchAndTheExecutionsEnding() {
        var state = ExecutionState()
        state.apply(
            .taskStarted(
                TaskStarted(
                    taskRunId: "sw", taskId: "sw", value: nil, type: "io.kestra.plugin.core.flow.Switch",
                    parentTaskRunId: nil, branch: "b")), at: "2026-01-01T00:00:00.000000Z")
        #expect(state.taskRun("sw")?.state == .running)
        #expect(state.taskRun("sw")?.branch == "b")
        #expect(state.taskRun("sw")?.startedAt == "2026-01-01T00:00:00.000000Z")
        state.apply(
            .taskSucceeded(TaskSucceeded(taskRunId: "sw", attempt: 1, state: .warning)),
            at: "2026-01-01T00:00:01.000000Z")
        #expect(state.taskRun("sw")?.state == .warning)
        state.apply(
            .executionEnding(ExecutionEnding(state: .warning, outputs: ["out": .string("x")])),
            at: "2026-01-01T00:00:02.000000Z")
        #expect(state.ending == .warning)
        #expect(state.outputs == ["out": .string("x")])
        #expect(!state.isTerminal, "afterExecution still runs: the execution has not finished")
    }
}

@Suite("Task runs a failed sibling stopped")
struct SiblingStopRulesTests {
    @Test("are told from killed ones by their recorded reason, so a resumed group fails as it did, never cancels")
    func stoppedBySiblingIsNotAKill() {
        var stopped = TaskRunState(taskRunId: "each[1]", taskId: "each", value: nil)
        stopped.state = .cancelled
        stopped.failureReason = SiblingRuns.stoppedReason("each")
        #expect(SiblingRuns.wasStoppedBySibling(stopped))
        var killed = stopped
        killed.failureReason = "killed by dave"
        #expect(!SiblingRuns.wasStoppedBySibling(killed))
        var failed = stopped
        failed.state = .failed
        #expect(!SiblingRuns.wasStoppedBySibling(failed))
    }
}
