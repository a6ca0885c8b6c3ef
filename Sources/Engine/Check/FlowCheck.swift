import Flows
import Foundation
import Templates

/// Every problem of a flow file that can be known without running it: the parser's, and what a run would refuse
/// when it renders the flow. `batchledger validate`, `run` (through `LoadedFlow`, before anything starts) and
/// serve's `POST /flows/validate` all check flows here, so they report the same problems at the same places.
///
/// Beyond the parser it checks, for every property a run renders: that each template parses; that each variable
/// it reads exists where it is rendered (a declared input, a key of `variables`, the outputs of a task that ends
/// before, a root the engine defines there); filter, function and test names; and, when `secrets` are given,
/// that each secret it names is defined. And the runner properties a run refuses: no `projectId`, an empty
/// `projectId` or `region`, a bucket name Cloud Storage refuses.
public enum FlowCheck {
    /// Every problem of the file (errors and warnings), sorted by position.
    public static func check(source: String, file: String, secrets: SecretStore? = nil) -> [FlowDiagnostic] {
        result(source: source, file: file, secrets: secrets).diagnostics
    }

    /// The flow (when the file could be read that far) and every problem of the file, sorted by position.
    public static func result(source: String, file: String, secrets: SecretStore? = nil) -> FlowParseResult {
        let parsed = FlowParser.parse(source: source, file: file)
        guard let flow = parsed.flow else { return parsed }
        var checker = FlowChecker(flow: flow, text: FlowText(source), secrets: secrets)
        checker.checkTasks()
        return FlowParseResult(flow: flow, diagnostics: parsed.diagnostics + checker.diagnostics)
    }

    /// The same for bytes: text that is not UTF-8 is refused at the position of the first bad byte.
    public static func result(data: Data, file: String, secrets: SecretStore? = nil) -> FlowParseResult {
        guard let text = String(data: data, encoding: .utf8) else { return FlowParser.parse(data: data, file: file) }
        return result(source: text, file: file, secrets: secrets)
    }

    /// Why a task runner without `projectId` cannot run (the run says it at the runner's mapping).
    static let missingProjectId =
        "the task runner has no projectId: set projectId (for example \"{{ secret('GCP_PROJECT_ID') }}\")"

    /// Why a bucket name cannot be used, when Cloud Storage would refuse it.
    static func invalidBucket(_ name: String, _ problem: String) -> String {
        "bucket \(MessageQuote.quoted(name)) is not a valid Cloud Storage bucket name: \(problem)"
    }
}
