import Flows
import Foundation
import GoogleCloud
import Ledger
import Templates

/// Why an engine operation did not produce its result, as values a caller can act on: a CLI maps each case to an
/// exit status and prints its `lines`; a server maps it to a status code and returns the structured parts (the
/// flow's file:line:column diagnostics, Google's API error with its hint) as they are.
public enum EngineFailure: Error, Sendable, CustomStringConvertible {
    /// The flow cannot run as written: every error the parser and checker found, each at its FILE:LINE:COLUMN.
    case invalidFlow([FlowDiagnostic])
    /// The request cannot run as asked (an input, a fork's task, a flow the engine refused while running), each
    /// problem worded by the engine (those with a place in the flow start with FILE:LINE:COLUMN).
    case invalidRequest([String])
    /// A template of the flow failed to render, at its FILE:LINE:COLUMN.
    case template(TemplateError)
    /// A secret could not be read (a missing name, bad Base64, an unreadable or malformed secrets file).
    case secret(SecretError)
    /// No Google credentials, and the flow's task runners name no `serviceAccount`, for a run on Google.
    case noGoogleCredentials
    /// An operation on recorded executions was pointed at a path where no ledger exists (nothing was created).
    case noLedger(path: String)
    /// The ledger could not be opened (`access` says how the operation asked to open it).
    case ledgerUnavailable(path: String, access: LedgerAccess, cause: LedgerError)
    /// The execution is not in the ledger.
    case noSuchExecution(id: String, ledger: String)
    /// The execution was loaded with `import` and the request did not say to drive it anyway.
    case importedExecution(id: String, origin: ImportOrigin)
    /// A Google API refused a call after retries (its service, method, resource, status and `hint`).
    case google(GoogleAPIError)
    /// The ledger refused a read or a write.
    case ledger(LedgerError)
    /// Anything else, as the engine reported it (its text masked for secrets where the engine masks).
    case failed(any Error)

    /// The failure an error thrown by the engine's parts stands for: known types keep their structure.
    public init(_ error: any Error) {
        switch error {
        case let failure as EngineFailure: self = failure
        case let problems as FlowProblems: self = .invalidRequest(problems.problems)
        case let template as TemplateError: self = .template(template)
        case let secret as SecretError: self = .secret(secret)
        case let google as GoogleAPIError: self = .google(google)
        case let ledger as LedgerError: self = .ledger(ledger)
        default: self = .failed(error)
        }
    }

    /// The failure's text, one line each for the flow's problems.
    public var lines: [String] {
        switch self {
        case .invalidFlow(let diagnostics): return diagnostics.map(\.description)
        case .invalidRequest(let problems): return problems
        default: return [description]
        }
    }

    public var description: String {
        switch self {
        case .invalidFlow(let diagnostics): return diagnostics.map(\.description).joined(separator: "\n")
        case .invalidRequest(let problems): return problems.joined(separator: "\n")
        case .template(let error): return "\(error)"
        case .secret(let error): return "\(error)"
        case .noGoogleCredentials:
            return "no Google credentials and no endpoint: to run on Google, set GOOGLE_APPLICATION_CREDENTIALS "
                + "or run gcloud auth application-default login; to run without Google, add --local "
                + "(the embedded emulator) or --endpoint URL (a standalone batchledger emulator)"
        case .noLedger(let path): return "\(LedgerError.noLedger(path: path))"
        case .ledgerUnavailable(_, _, let cause): return "\(cause)"
        case .noSuchExecution(let id, let ledger):
            return "no execution \(Excerpt.of(id)) in \(ledger); batchledger executions lists them"
        case .importedExecution(let id, let origin):
            return "execution \(MessageQuote.quoted(id)) was imported from ledger "
                + "\(MessageQuote.quoted(origin.sourceLedger)); drive it only with \(ImportedHistory.overrideFlag)"
        case .google(let error): return "\(error)"
        case .ledger(let error): return "\(error)"
        case .failed(let error): return "\(error)"
        }
    }
}
