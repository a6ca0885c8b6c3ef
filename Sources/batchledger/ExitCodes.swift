import ArgumentParser
import Engine
import Foundation
import Ledger

/// The exit statuses of `batchledger`, and the one place where outcomes and errors become them.
///
/// 0 success (an execution that ended SUCCEEDED or WARNING), 1 a task failed (or a check found a problem, or the
/// emulator could not start), 2 invalid input (flow, template, secret, arguments, an unknown or refused
/// execution), 3 any other error (I/O, the ledger, a Google API that refused after retries), 130 cancelled.
enum ExitCodes {
    static let failed: Int32 = 1
    static let invalidInput: Int32 = 2
    static let otherError: Int32 = 3
    static let cancelled: Int32 = 130

    /// The status of an execution that ended as `ending`; nil for success.
    static func status(of ending: ExecutionOutcome.Ending) -> ExitCode? {
        switch ending {
        case .succeeded: return nil
        case .cancelled: return ExitCode(cancelled)
        case .failed, .interrupted: return ExitCode(failed)
        }
    }

    /// The status of a recovery: 3 when it failed for any execution, 2 when an imported one was left alone.
    static func status(of report: RecoveryReport) -> ExitCode? {
        if report.anyFailed { return ExitCode(otherError) }
        if report.anyRefused { return ExitCode(invalidInput) }
        return nil
    }

    /// The status of an engine failure.
    static func status(of failure: EngineFailure) -> Int32 {
        switch failure {
        case .invalidFlow, .invalidRequest, .template, .secret, .noGoogleCredentials, .noSuchExecution,
            .importedExecution:
            return invalidInput
        case .failed(let error) where error is CancellationError:
            return cancelled
        case .noLedger, .ledgerUnavailable, .google, .ledger, .failed:
            return otherError
        }
    }

    /// The status of an export or import error: for `import`, 3 when a file cannot be read or written and 1 when
    /// the export is refused; for `export`, 2 for an execution not in the ledger and 1 otherwise.
    static func status(of error: ExportError, command: String) -> Int32 {
        switch (command, error) {
        case ("import", .cannotRead), ("import", .cannotWrite): return otherError
        case ("export", .unknownExecution): return invalidInput
        default: return failed
        }
    }

    /// The lines that tell the user about `failure` in `command` (`run`, `fork`, `replay --check` …).
    /// `refusal` words the refusal of an imported execution with the command line that overrides it.
    static func lines(
        of failure: EngineFailure, command: String, refusal: ((String, ImportOrigin) -> String)? = nil
    ) -> [String] {
        switch failure {
        case .invalidFlow, .invalidRequest, .template, .secret, .noGoogleCredentials:
            return failure.lines
        case .noSuchExecution:
            return ["batchledger: \(failure)"]
        case .ledgerUnavailable(_, .existing, _):
            return ["batchledger: \(failure)"]
        case .importedExecution(let id, let origin):
            return [refusal?(id, origin) ?? "batchledger \(command): \(failure)"]
        case .noLedger, .ledgerUnavailable, .google, .ledger, .failed:
            return ["batchledger \(command): \(failure)"]
        }
    }

    /// Runs a command's body: an error it throws is told on standard error (escaped for the terminal through
    /// `console` when given) and becomes the exit status. `ExitCode` and `ValidationError` pass through.
    @discardableResult
    static func run<T>(
        _ command: String, console: Console? = nil, refusal: ((String, ImportOrigin) -> String)? = nil,
        _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch {
            throw exit(for: error, command: command, console: console, refusal: refusal)
        }
    }

    /// `run` for a body that does not suspend.
    @discardableResult
    static func run<T>(_ command: String, console: Console? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw exit(for: error, command: command, console: console, refusal: nil)
        }
    }

    /// Tells an export or import error on standard error; its exit status.
    static func exit(for error: ExportError, command: String) -> ExitCode {
        printError("batchledger \(command): \(error)")
        return ExitCode(status(of: error, command: command))
    }

    private static func exit(
        for error: any Error, command: String, console: Console?, refusal: ((String, ImportOrigin) -> String)?
    ) -> any Error {
        // An exit status already chosen, and a usage problem ArgumentParser reports itself (with the usage line).
        if error is ExitCode || error is ValidationError { return error }
        if let export = error as? ExportError, ["import", "export"].contains(command) {
            return exit(for: export, command: command)
        }
        let failure = EngineFailure(error)
        for line in lines(of: failure, command: command, refusal: refusal) {
            if let console { console.error(line) } else { printError(line) }
        }
        return ExitCode(status(of: failure))
    }
}
